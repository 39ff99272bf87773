package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix products of the solvers: OpenBLAS against ND4J. */
class BlasTest {
    private static INDArray matrix(int rows, int cols) {
        return Blas.matrix(Nd4j.create(TestVectors.gaussian(rows * cols, 1), new long[]{rows, cols}, 'c'));
    }

    @Test
    void openBlasAndNd4jGiveTheSameProducts() {
        assertTrue(Blas.usesOpenBlas(), "ND4J's CPU backend ships OpenBLAS");
        INDArray m = matrix(37, 23);
        for (int r : new int[]{1, 3}) {
            double[] v = TestVectors.gaussian(23 * r, 2);
            double[] u = TestVectors.gaussian(37 * r, 3);
            for (int[] rows : new int[][]{{0, 37}, {5, 20}}) {
                assertArrayEquals(Blas.multiplyByNd4j(m, rows[0], rows[1], false, v, r),
                        Blas.multiplyByOpenBlas(m, rows[0], rows[1], false, v, r), 1e-12);
                assertArrayEquals(Blas.multiplyByNd4j(m, rows[0], rows[1], true, u, r),
                        Blas.multiplyByOpenBlas(m, rows[0], rows[1], true, u, r), 1e-12);
            }
            double[] top = Blas.multiply(m, 0, 20, true, u, r);
            double[] bottom = Blas.multiply(m, 20, 37, true, u, r);
            assertArrayEquals(Blas.multiply(m, true, u, r), Coefficients.axpy(1, top, bottom), 1e-12, "blocks' shares add up");
        }
        INDArray x = Nd4j.create(TestVectors.gaussian(50 * 70, 4), new long[]{50, 70}, 'c').castTo(DataType.FLOAT);
        INDArray syrk = Blas.gramBySyrk(x);
        INDArray blocks = Blas.gramByBlocks(x);
        assertEquals(DataType.DOUBLE, syrk.dataType());
        assertTrue(syrk.equalsWithEps(syrk.transpose(), 0), "symmetric");
        assertTrue(syrk.equalsWithEps(blocks, 1e-3), "float products, summed in different orders");
    }
}
