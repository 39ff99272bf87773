package dev.transferkit.probe;

import dev.transferkit.store.FeatureStore;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Whether two candidates' stores hold the same features: a declared layer can be another layer pooled (nsfwjs's
 * MobileNetV2 declares {@code flatten_1}, which is {@code out_relu} average-pooled), and cross-validating it again
 * would cost as much as the original and tell nothing new. The stores must have the same rows in the same order (one
 * extraction pass writes them so) and, row by row, features equal up to the rounding of two ways of pooling: every
 * difference at most {@link #TOLERANCE} times the row's largest magnitude (at least 1). Blocks of rows are compared
 * in turn, so different stores are told apart after the first block.
 */
final class SameFeatures {
    /** Relative difference below which two features count as equal: float rounding, far below any real change. */
    static final double TOLERANCE = 1e-5;
    private static final int BLOCK_ROWS = 256;

    private SameFeatures() {
    }

    /**
     * @param a one store
     * @param b another store
     * @return true when both have the same shape, the same image paths and equal features
     */
    static boolean test(FeatureStore a, FeatureStore b) {
        if (a.dim() != b.dim() || a.rows() != b.rows()) {
            return false;
        }
        for (long start = 0; start < a.rows(); start += BLOCK_ROWS) {
            int n = (int) Math.min(BLOCK_ROWS, a.rows() - start);
            if (!a.readPaths(start, n).equals(b.readPaths(start, n)) || !equal(a.readFeatures(start, n), b.readFeatures(start, n))) {
                return false;
            }
        }
        return true;
    }

    private static boolean equal(INDArray x, INDArray y) {
        float[][] u = x.toFloatMatrix();
        float[][] v = y.toFloatMatrix();
        for (int i = 0; i < u.length; i++) {
            double scale = 1;
            for (float f : u[i]) {
                scale = Math.max(scale, Math.abs(f));
            }
            for (int j = 0; j < u[i].length; j++) {
                if (Math.abs(u[i][j] - v[i][j]) > TOLERANCE * scale) {
                    return false;
                }
            }
        }
        return true;
    }
}
