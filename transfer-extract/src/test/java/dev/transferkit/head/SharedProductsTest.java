package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix products of the solvers: OpenBLAS against ND4J, and products shared by parties in lock-step. */
class SharedProductsTest {
    private static double[] random(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static INDArray matrix(int rows, int cols) {
        return Blas.matrix(Nd4j.create(random(rows * cols, 1), new long[]{rows, cols}, 'c'));
    }

    @Test
    void openBlasAndNd4jGiveTheSameProducts() {
        assertTrue(Blas.usesOpenBlas(), "ND4J's CPU backend ships OpenBLAS");
        INDArray m = matrix(37, 23);
        for (int r : new int[]{1, 3}) {
            double[] v = random(23 * r, 2);
            double[] u = random(37 * r, 3);
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
        INDArray x = Nd4j.create(random(50 * 70, 4), new long[]{50, 70}, 'c').castTo(DataType.FLOAT);
        INDArray syrk = Blas.gramBySyrk(x);
        INDArray blocks = Blas.gramByBlocks(x);
        assertEquals(DataType.DOUBLE, syrk.dataType());
        assertTrue(syrk.equalsWithEps(syrk.transpose(), 0), "symmetric");
        assertTrue(syrk.equalsWithEps(blocks, 1e-3), "float products, summed in different orders");
    }

    @Test
    void partiesGetTheirOwnProductsWhateverTheOthersAskAndWhenTheyLeave() {
        // 600 rows: two blocks, computed on two threads.
        INDArray m = matrix(600, 17);
        SharedProducts shared = new SharedProducts(m, 3, 2);
        List<Callable<List<double[]>>> parties = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int id = p;
            parties.add(() -> {
                List<double[]> out = new ArrayList<>();
                try (SharedProducts.Party party = shared.party(id)) {
                    // Party 0 asks 2 products, party 1 four, party 2 six, mixing both kinds and widths.
                    for (int k = 0; k < 2 * (id + 1); k++) {
                        int r = 1 + (id + k) % 2;
                        out.add((id + k) % 2 == 0 ? party.times(random(17 * r, 10 * id + k), r)
                                : party.transposeTimes(random(600 * r, 10 * id + k), r));
                    }
                }
                return out;
            });
        }
        List<List<double[]>> results;
        try (shared) {
            results = BlasThreads.runAll(parties, 3, 1);
        }
        for (int id = 0; id < 3; id++) {
            for (int k = 0; k < 2 * (id + 1); k++) {
                int r = 1 + (id + k) % 2;
                double[] expected = (id + k) % 2 == 0 ? Blas.multiply(m, false, random(17 * r, 10 * id + k), r)
                        : Blas.multiply(m, true, random(600 * r, 10 * id + k), r);
                assertArrayEquals(expected, results.get(id).get(k), 1e-12, "party " + id + " product " + k);
            }
        }
    }

    @Test
    void aFailingPartyDoesNotBlockTheOthers() {
        INDArray m = matrix(5, 4);
        SharedProducts shared = new SharedProducts(m, 2, 1);
        List<Callable<double[]>> parties = List.of(
                () -> {
                    try (SharedProducts.Party party = shared.party(0)) {
                        throw new IllegalArgumentException("fold 0 failed");
                    }
                },
                () -> {
                    try (SharedProducts.Party party = shared.party(1)) {
                        return party.times(random(4, 1), 1);
                    }
                });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlasThreads.runAll(parties, 2, 1));
        assertEquals("fold 0 failed", e.getMessage());
    }
}
