package dev.transferkit.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassificationReportTest {
    private static final double EPS = 1e-12;
    // Worked by hand: rows (true) a: [3,1,0], b: [0,1,1], c: [1,0,3].
    private static final int[] TRUTH = {0, 0, 0, 1, 1, 2, 2, 2, 2, 0};
    private static final int[] PRED = {0, 0, 1, 1, 2, 2, 2, 0, 2, 0};

    @Test
    void confusionMatrixCountsPairs() {
        ConfusionMatrix m = ConfusionMatrix.of(List.of("a", "b", "c"), TRUTH, PRED);
        long[][] expected = {{3, 1, 0}, {0, 1, 1}, {1, 0, 3}};
        for (int t = 0; t < 3; t++) {
            for (int p = 0; p < 3; p++) {
                assertEquals(expected[t][p], m.count(t, p), "cell " + t + "," + p);
            }
        }
        assertEquals(10, m.total());
        assertEquals(7, m.correct());
        assertEquals(4, m.predictedCount(2));
    }

    @Test
    void perClassAndAveragesMatchHandComputation() {
        ClassificationReport r = ClassificationReport.of(List.of("a", "b", "c"), TRUTH, PRED);
        assertEquals(0.75, r.precision(0), EPS);
        assertEquals(0.5, r.precision(1), EPS);
        assertEquals(0.75, r.recall(2), EPS);
        assertEquals(0.5, r.f1(1), EPS);
        assertEquals(0.7, r.accuracy(), EPS);
        assertArrayEquals(new double[]{2.0 / 3, 2.0 / 3, 2.0 / 3}, r.macroAverage(), EPS);
        assertArrayEquals(new double[]{0.7, 0.7, 0.7}, r.weightedAverage(), EPS);
        assertEquals(2.0 / 3, r.balancedAccuracy(), EPS);
    }

    @Test
    void aClassNeverPredictedHasZeroPrecisionAsInScikitLearn() {
        ClassificationReport r = ClassificationReport.of(List.of("x", "y"), new int[]{0, 0, 1}, new int[]{0, 0, 0});
        assertEquals(2.0 / 3, r.precision(0), EPS);
        assertEquals(0.0, r.precision(1), EPS);
        assertEquals(1.0, r.recall(0), EPS);
        assertEquals(0.8, r.f1(0), EPS);
        assertEquals(0.5, r.balancedAccuracy(), EPS);
        assertEquals((2 * 0.8) / 3, r.weightedAverage()[2], EPS);
    }

    @Test
    void textAndCsvCarryTheNumbers() {
        ClassificationReport r = ClassificationReport.of(List.of("food", "non,food"), new int[]{0, 1, 1}, new int[]{0, 1, 0});
        String text = r.toString();
        assertTrue(text.contains("precision") && text.contains("weighted avg") && text.contains("food"), text);
        String csv = r.toCsv();
        assertTrue(csv.contains("\"non,food\",1.000000,0.500000,0.666667,2"), csv);
        assertTrue(csv.contains("accuracy,,,0.666667,3"), csv);
    }

    @Test
    void savesTextCsvAndPng(@TempDir Path dir) throws Exception {
        ClassificationReport r = ClassificationReport.of(List.of("a", "b", "c"), TRUTH, PRED);
        r.save(dir, "test-");
        assertTrue(Files.readString(dir.resolve("test-report.txt")).contains("Confusion matrix"));
        assertEquals(r.toCsv(), Files.readString(dir.resolve("test-report.csv")));
        assertTrue(Files.readString(dir.resolve("test-confusion.csv")).startsWith("true\\predicted,a,b,c\na,3,1,0\n"));
        BufferedImage png = ImageIO.read(dir.resolve("test-confusion.png").toFile());
        assertNotNull(png);
        assertTrue(png.getWidth() > 100);
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        List<String> labels = List.of("a", "b");
        IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                () -> ClassificationReport.of(labels, new int[]{0, 1}, new int[]{0}));
        assertTrue(e1.getMessage().contains("2 true labels but 1 predictions"));
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> ClassificationReport.of(labels, new int[]{0, 2}, new int[]{0, 1}));
        assertTrue(e2.getMessage().contains("example 1 is class index 2"));
        assertThrows(IllegalArgumentException.class, () -> ClassificationReport.of(labels, new int[0], new int[0]));
    }
}
