package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The designs agree: a fold's copied rows and the shared matrix, and the Gram form with the primal one. */
class DesignTest {
    private static final int[] TRAIN = {0, 1, 3, 4, 6, 7, 8, 10, 11};
    private static final int[] HELD_OUT = {2, 5, 9};

    @Test
    void copiedAndSharedRowsGiveTheSameProducts() {
        INDArray x = Blas.matrix(Nd4j.create(TestVectors.gaussian(12 * 5, 1), new long[]{12, 5}, 'c'));
        Design copied = new PrimalDesign(x, TRAIN, HELD_OUT, true);
        Design shared = new PrimalDesign(x, TRAIN, HELD_OUT, false);
        for (int r : new int[]{1, 3}) {
            double[] g = TestVectors.gaussian(TRAIN.length * r, 2);
            Coefficients a = copied.transposeTimes(g, r);
            Coefficients b = shared.transposeTimes(g, r);
            assertArrayEquals(a.weights, b.weights, 1e-12);
            assertArrayEquals(a.image, b.image, 1e-12);
            Coefficients p = copied.point(TestVectors.gaussian(5 * r, 3), TestVectors.gaussian(r, 4));
            assertArrayEquals(p.image, shared.point(p.weights, p.intercepts).image, 1e-12);
            assertArrayEquals(copied.heldOutScores(p), shared.heldOutScores(p), 1e-12);
        }
    }

    @Test
    void theGramFormRepresentsTheSameWeights() {
        INDArray x = Nd4j.create(TestVectors.gaussian(12 * 20, 5), new long[]{12, 20}, 'c').castTo(DataType.FLOAT);
        INDArray all = Blas.matrix(x);
        Design primal = new PrimalDesign(all, TRAIN, HELD_OUT, true);
        Design gram = new GramDesign(Blas.gram(x), x, TRAIN, HELD_OUT);
        double[] a = TestVectors.gaussian(TRAIN.length * 2, 6);
        double[] b = TestVectors.gaussian(TRAIN.length * 2, 7);
        Coefficients ga = gram.point(a, new double[]{0.5, -1});
        Coefficients gb = gram.point(b, new double[2]);
        // The same weights W = X^T A in feature coordinates give the same scores and inner products.
        Coefficients pa = primal.point(gram.featureWeights(a, 2), new double[]{0.5, -1});
        Coefficients pb = primal.point(gram.featureWeights(b, 2), new double[2]);
        assertArrayEquals(pa.image, ga.image, 1e-3, "float features, double products");
        assertArrayEquals(primal.heldOutScores(pa), gram.heldOutScores(ga), 1e-3);
        assertEquals(primal.dot(pa, pb), gram.dot(ga, gb), 1e-3 * Math.abs(primal.dot(pa, pb)));
        double[] g = TestVectors.gaussian(TRAIN.length * 2, 8);
        assertArrayEquals(primal.transposeTimes(g, 2).image, gram.transposeTimes(g, 2).image, 1e-3);
        assertArrayEquals(gram.featureWeights(gram.transposeTimes(g, 2).weights, 2), primal.transposeTimes(g, 2).weights, 1e-4);
    }
}
