package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cross-validation report per C, and that its choice is the C the trained head got. */
class CrossValidationReportTest {
    @Test
    void theReportedChoiceIsTheHeadsC() {
        Random r = new Random(5);
        float[][] x = new float[90][12];
        int[] y = new int[90];
        for (int i = 0; i < 90; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 12; j++) {
                x[i][j] = (float) (r.nextGaussian() * 2 + (j == y[i] ? 1.2 : 0));
            }
        }
        List<String> labels = List.of("a", "b", "c");
        LinearHeadTrainer t = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{10, 0.001, 0.1}, 3).optClassWeights(ClassWeights.balanced()).build();
        INDArray features = Nd4j.create(x);
        CrossValidationReport report = t.crossValidate(features, y, labels);
        assertEquals(List.of(0.001, 0.1, 10.0), report.scores().stream().map(CrossValidationReport.Score::c).toList(), "ascending");
        assertEquals(3, report.folds());
        for (CrossValidationReport.Score s : report.scores()) {
            assertTrue(s.accuracy() >= 0 && s.accuracy() <= 1 && s.accuracySpread() >= 0 && s.balancedSpread() >= 0, s.toString());
        }
        assertTrue(report.chosen().pooled() >= report.scores().stream().mapToDouble(CrossValidationReport.Score::pooled).max()
                .orElseThrow() - 1e-12);
        assertEquals(report.chosen().c(), Double.parseDouble(t.fit(features, y, labels).info().get("C")), 1e-12);

        LinearHeadTrainer plain = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).build();
        assertThrows(IllegalStateException.class, () -> plain.crossValidate(features, y, labels));
    }

    @Test
    void withAPatienceTheGridStopsWhenTheScoreStopsImprovingAndKeepsTheScoresOfWhatItTried() {
        Random r = new Random(11);
        float[][] x = new float[120][20];
        int[] y = new int[120];
        for (int i = 0; i < 120; i++) {
            y[i] = i % 2;
            for (int j = 0; j < 20; j++) {
                x[i][j] = (float) (r.nextGaussian() + (j < 3 && y[i] == 1 ? 0.8 : 0));
            }
        }
        INDArray features = Nd4j.create(x);
        List<String> labels = List.of("a", "b");
        double[] grid = {1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100};
        LinearHeadTrainer.Builder b = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(grid, 4);
        CrossValidationReport all = b.build().crossValidate(features, y, labels);
        assertEquals(grid.length, all.scores().size());
        CrossValidationReport early = b.optCrossValidationPatience(1).build().crossValidate(features, y, labels);

        // It tried C values in order until the first one that did not beat the best so far, with the same scores.
        int tried = early.scores().size();
        assertTrue(tried < grid.length, "the scores fall or stay level somewhere on this grid: " + all.scores());
        for (int i = 0; i < tried; i++) {
            assertEquals(all.scores().get(i), early.scores().get(i));
        }
        double bestBefore = all.scores().subList(0, tried - 1).stream().mapToDouble(CrossValidationReport.Score::pooled).max().orElseThrow();
        assertTrue(all.scores().get(tried - 1).pooled() <= bestBefore + 1e-12, "it stopped at the first C that did not improve");
        for (int i = 1; i < tried - 1; i++) {
            assertTrue(all.scores().get(i).pooled() > all.scores().subList(0, i).stream()
                    .mapToDouble(CrossValidationReport.Score::pooled).max().orElseThrow(), "no earlier stop was due");
        }
        assertEquals(early.chosen().c(), Double.parseDouble(b.build().fit(features, y, labels).info().get("C")), 1e-12);
        assertTrue(b.build().fit(features, y, labels).info().get("crossValidation").contains("not tried"));

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> b.optCrossValidationPatience(0));
        assertEquals("The cross-validation patience must be at least 1 C value, but was 0.", bad.getMessage());
    }
}
