package dev.transferkit.examples;

import dev.transferkit.finetune.TrainingHistory;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.predict.TransferModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FineTuneExampleTest {
    @TempDir
    Path tmp;

    /** root/{train,test}/{food,non_food}/*.png: 16x16 noisy red (food) or blue (non-food) squares. */
    private static Path images(Path root, int perClass) throws IOException {
        Random random = new Random(3);
        for (String split : List.of("train", "test")) {
            for (String cls : List.of("food", "non_food")) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int i = 0; i < perClass; i++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 16; y++) {
                        for (int x = 0; x < 16; x++) {
                            int n = random.nextInt(60);
                            int strong = 180 + random.nextInt(70);
                            img.setRGB(x, y, cls.equals("food") ? strong << 16 | n << 8 | n : n << 16 | n << 8 | strong);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
                }
            }
        }
        return root;
    }

    @Test
    void comparesBothMethodsAndWritesHistoryAndPredictor() throws Exception {
        ImageFolder folder = ImageFolder.open(images(tmp.resolve("data"), 8));
        Path work = tmp.resolve("work");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        List<FineTuneExample.Row> rows = FineTuneExample.compare(TinyNetworks.baseModel(List.of("a", "b")), folder, "train", "test",
                work, new FineTuneExample.Settings("conv2", 2, 1, 1, 8), quiet);

        assertEquals(2, rows.size());
        assertTrue(rows.get(0).method().startsWith("frozen features"), rows.get(0).method());
        assertTrue(rows.get(1).method().startsWith("fine-tuned (2 + 1 epochs"), rows.get(1).method());
        for (FineTuneExample.Row r : rows) {
            assertTrue(r.accuracy() >= 0 && r.accuracy() <= 1 && r.balancedAccuracy() >= 0 && r.balancedAccuracy() <= 1, r.toString());
            assertTrue(r.trainSeconds() > 0 && r.testSeconds() > 0, r.toString());
        }
        TrainingHistory history = TrainingHistory.readCsv(work.resolve("finetune/history.csv"));
        assertEquals(2, history.phase(1).size());
        assertEquals(1, history.phase(2).size());
        assertTrue(Files.size(work.resolve("finetune/history.png")) > 1000);

        // The reported fine-tuned accuracy is that of the saved predictor, image by image.
        TransferModel saved = TransferModel.load(work.resolve("finetune/food-vs-nonfood-finetuned.zip"));
        int correct = 0;
        List<LabeledImage> test = folder.images("test");
        for (LabeledImage li : test) {
            correct += saved.predict(li.path()).label().equals(li.label()) ? 1 : 0;
        }
        assertEquals((double) correct / test.size(), rows.get(1).accuracy(), 1e-9);

        String table = FineTuneExample.table(rows);
        assertTrue(table.lines().count() == 3 && table.contains("balanced accuracy"), table);
    }
}
