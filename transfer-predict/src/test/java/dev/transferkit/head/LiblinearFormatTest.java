package dev.transferkit.head;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading liblinear's model text without liblinear: the layout (a row per feature and one for the bias, a column per
 * weight vector) and the refusals, each naming what is wrong. That the text liblinear writes reads back into the head
 * liblinear's model converts to is checked in transfer-extract, which has liblinear ({@code LiblinearTextTest}).
 */
class LiblinearFormatTest {
    private static final List<String> AB = List.of("a", "b");
    private static final List<String> ABC = List.of("a", "b", "c");

    private static String model(String solver, String labels, int features, String bias, String weights) {
        int classes = labels.split(" ").length;
        return "solver_type " + solver + "\nnr_class " + classes + "\nlabel " + labels + "\nnr_feature " + features
                + "\nbias " + bias + "\nw\n" + weights;
    }

    private static void assertRefused(String text, List<String> labels, int dim, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearHead.fromModelText(text, labels, dim, Map.of()));
        assertTrue(e.getMessage().contains(named), "'" + named + "' is not in: " + e.getMessage());
    }

    @Test
    void twoClassWeightsScoreTheFirstListedLabel() {
        // One vector scoring label 0 (listed first): class 1 gets the sigmoid of minus its score.
        LinearHead head = LinearHead.fromModelText(model("L2R_LR", "0 1", 2, "1.0", "2.0 \n-1.0 \n0.5 \n"), AB, 2, Map.of());
        double z = 2.0 * 1 - 1.0 * 3 + 0.5;
        double p0 = 1 / (1 + Math.exp(-z));
        double[] s = head.scores(new float[]{1, 3});
        assertEquals(p0, s[0], 1e-15);
        assertEquals(1 - p0, s[1], 1e-15);
        assertTrue(head.probabilistic());
        // The same vector listed for label 1 scores class 1; an SVM gives the margins themselves.
        LinearHead svm = LinearHead.fromModelText(model("L2R_L2LOSS_SVC_DUAL", "1 0", 2, "1.0", "2.0\n-1.0\n0.5\n"), AB, 2, Map.of());
        assertArrayEquals(new double[]{-z, z}, svm.scores(new float[]{1, 3}), 1e-15);
    }

    @Test
    void multiClassColumnsAreOneVectorPerListedLabelAndJavaNumberFormatsRead() {
        // MllibHeads writes Java's Double.toString, e.g. 1.0E-5; without a bias there is no last row.
        String w = "1.0 0.0 -1.0\n0.5 2.0E-1 1.0E-5\n";
        LinearHead head = LinearHead.fromModelText(model("MCSVM_CS", "2 0 1", 2, "-1", w), ABC, 2, Map.of());
        float[] x = {2, 4};
        double[] s = head.scores(x);
        assertEquals(1.0 * 2 + 0.5 * 4, s[2], 1e-15);
        assertEquals(0.0 * 2 + 0.2 * 4, s[0], 1e-15);
        assertEquals(-1.0 * 2 + 1e-5 * 4, s[1], 1e-15);
    }

    @Test
    void malformedModelsAreRefusedNamingWhatIsWrong() {
        String ok = "1 \n2 \n3 \n";
        assertRefused("solver_type L2R_LR\nnr_class 2\n", AB, 2, "no 'w' line");
        assertRefused("solver_type L2R_LR\ncolour blue\nw\n", AB, 2, "[colour blue]");
        assertRefused("nr_class 2\nlabel 0 1\nnr_feature 2\nw\n" + ok, AB, 2, "lacks solver_type");
        assertRefused(model("L2R_L2LOSS_SVR", "0 1", 2, "1.0", ok), AB, 2, "'L2R_L2LOSS_SVR'");
        assertRefused(model("L2R_LR", "0 1", 3, "1.0", ok), AB, 2, "3 features");
        assertRefused(model("L2R_LR", "0 1", 2, "1.0", "1 \n2 \n"), AB, 2, "should have 3 weights");
        assertRefused(model("L2R_LR", "0 1", 2, "1.0", "1 \nx2 \n3 \n"), AB, 2, "'x2'");
        assertRefused(model("L2R_LR", "0 1", 2, "1.0", "1 \nNaN \n3 \n"), AB, 2, "NaN");
        assertRefused(model("L2R_LR", "0 1", 2, "one", ok), AB, 2, "'one'");
        assertRefused(model("L2R_LR", "0 5", 2, "1.0", ok), AB, 2, "[0, 5]");
        assertRefused(model("L2R_LR", "0 1", 2, "1.0", ok), ABC, 2, "3 class names");
        String countMismatch = "solver_type L2R_LR\nnr_class 3\nlabel 0 1\nnr_feature 2\nbias 1.0\nw\n" + ok;
        assertRefused(countMismatch, ABC, 2, "nr_class 3 but lists 2 labels");
    }
}
