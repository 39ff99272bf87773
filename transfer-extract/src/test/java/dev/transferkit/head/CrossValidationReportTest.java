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
}
