package dev.transferkit.examples.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetSummaryTest {
    @TempDir
    Path tmp;

    @Test
    void scanCountsFilesPerSplitAndClassIgnoringHiddenAndRootFiles() throws IOException {
        for (String f : List.of("train/cat/1.png", "train/cat/2.png", "train/dog/1.png", "test/cat/9.png",
                "test/cat/.hidden", "val/dog/3.png")) {
            Files.createDirectories(tmp.resolve(f).getParent());
            Files.writeString(tmp.resolve(f), "x");
        }
        Files.createDirectories(tmp.resolve(".part/x"));
        Files.writeString(tmp.resolve("LICENSE"), "x");
        DatasetSummary s = DatasetSummary.scan(tmp);
        assertEquals(List.of("train", "val", "test"), s.splits());
        assertEquals(List.of("cat", "dog"), s.classes("train"));
        assertEquals(2, s.count("train", "cat"));
        assertEquals(0, s.count("test", "dog"));
        assertEquals(1, s.total("test"));
        assertEquals(5, s.total());
        String expected = String.join(System.lineSeparator(),
                "DatasetSummary(" + tmp + ")",
                "split  cat  dog  total",
                "train    2    1      3",
                "val      0    1      1",
                "test     1    0      1",
                "total    3    2      5");
        assertEquals(expected, s.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.count("holdout", "cat"));
        assertTrue(e.getMessage().contains("'holdout'") && e.getMessage().contains(tmp.toString()), e.getMessage());
    }

    @Test
    void rejectsNegativeCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetSummary(tmp, Map.of("train", Map.of("cat", -1))));
        assertTrue(e.getMessage().contains("train/cat"), e.getMessage());
    }
}
