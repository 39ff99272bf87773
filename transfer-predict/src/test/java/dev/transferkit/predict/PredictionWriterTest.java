package dev.transferkit.predict;

import dev.transferkit.image.TestImages;
import dev.transferkit.model.Classification;
import dev.transferkit.model.TinyNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PredictionWriterTest {
    @TempDir
    Path dir;

    private final TransferModel model = TransferModel.ofNetwork(TinyNetworks.baseModel(List.of("cat", "dog", "fox")),
            dev.transferkit.image.ImageOptions.defaults(), Map.of());

    private Path image(String name, int rgb) {
        return TestImages.gradient(dir.resolve(name), 16, 16, rgb);
    }

    private static String write(PredictionWriter w, List<Path> images, PredictionWriter.Summary expected) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(expected, w.write(images, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void csvHasAHeaderTopKColumnsAndTheModelsScores() throws IOException {
        Path a = image("a,1.png", 0x203040);
        Path b = image("b.png", 0x806020);
        String csv = write(PredictionWriter.builder().setModel(model).optFormat(PredictionWriter.Format.CSV).optTopK(2).build(),
                List.of(a, b), new PredictionWriter.Summary(2, 0));
        List<String> rows = csv.strip().lines().toList();
        assertEquals("file,label_1,score_1,label_2,score_2,error", rows.get(0));
        assertEquals(3, rows.size());
        assertTrue(rows.get(1).startsWith("\"" + a + "\","), "a comma in the name is quoted: " + rows.get(1));
        Classification c = model.predict(b);
        assertEquals(String.format(java.util.Locale.ROOT, "%s,%s,%.6f,%s,%.6f,", b, c.label(), c.score(),
                c.ranked().get(1).label(), c.ranked().get(1).probability()), rows.get(2));
    }

    @Test
    void anUndecodableFileGetsAnErrorLineAndDoesNotStopTheOthers() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.jpg"), "not an image");
        Path good = image("good.png", 0x102030);
        String text = write(PredictionWriter.builder().setModel(model).build(), List.of(broken, good), new PredictionWriter.Summary(1, 1));
        List<String> lines = text.strip().lines().toList();
        assertTrue(lines.get(0).startsWith(broken.toString()) && lines.get(0).contains("error: ") && lines.get(0).contains("broken.jpg"), lines.get(0));
        assertTrue(lines.get(1).startsWith(good.toString()) && lines.get(1).contains(model.predict(good).label()), lines.get(1));

        String csv = write(PredictionWriter.builder().setModel(model).optFormat(PredictionWriter.Format.CSV).build(),
                List.of(broken), new PredictionWriter.Summary(0, 1));
        assertTrue(csv.lines().toList().get(1).startsWith(broken + ",,,"), csv);
    }

    @Test
    void invalidSettingsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PredictionWriter.builder().optTopK(0));
        assertTrue(e.getMessage().contains("was 0"), e.getMessage());
        dev.transferkit.core.MissingSettingException s = assertThrows(dev.transferkit.core.MissingSettingException.class, () -> PredictionWriter.builder().build());
        assertTrue(s.getMessage().contains("setModel"), s.getMessage());
        assertEquals("\"say \"\"hi\"\"\"", PredictionWriter.csv("say \"hi\""));
        assertEquals("plain", PredictionWriter.csv("plain"));
    }
}
