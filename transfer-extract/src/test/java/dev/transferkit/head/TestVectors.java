package dev.transferkit.head;

import java.util.Random;

/** Seeded random vectors for the solver tests. */
final class TestVectors {
    private TestVectors() {
    }

    /**
     * @param n    the length
     * @param seed the seed
     * @return {@code n} standard normal values
     */
    static double[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }
}
