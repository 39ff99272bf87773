package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Per-feature standardisation {@code (x - mean) / scale}, with the mean and the (population) standard deviation of
 * the training rows, as scikit-learn's {@code StandardScaler}: a feature that is constant on the training rows gets
 * scale 1 ({@code LinearHeadTrainer.fitStandardizer} in transfer-extract computes them). Immutable.
 */
final class Standardizer {
    private final double[] mean;
    private final double[] scale;

    /**
     * @param mean  per-feature mean
     * @param scale per-feature divisor, positive and finite
     * @throws IllegalArgumentException when the lengths differ or a value is unusable
     */
    Standardizer(double[] mean, double[] scale) {
        if (mean.length != scale.length) {
            throw new IllegalArgumentException("The standardisation has " + mean.length + " means but " + scale.length + " scales.");
        }
        for (int j = 0; j < mean.length; j++) {
            if (!Double.isFinite(mean[j]) || !(scale[j] > 0) || Double.isInfinite(scale[j])) {
                throw new IllegalArgumentException("Feature " + j + " has the unusable standardisation mean " + mean[j]
                        + ", scale " + scale[j] + ".");
            }
        }
        this.mean = mean.clone();
        this.scale = scale.clone();
    }

    /** @return the feature dimension */
    int dim() {
        return mean.length;
    }

    /** @return a copy of the per-feature means */
    double[] mean() {
        return mean.clone();
    }

    /** @return a copy of the per-feature scales */
    double[] scale() {
        return scale.clone();
    }

    /**
     * Standardises one vector.
     *
     * @param row raw features of length {@link #dim()}
     * @return standardised features
     */
    double[] apply(float[] row) {
        double[] out = new double[row.length];
        for (int j = 0; j < row.length; j++) {
            out[j] = (row[j] - mean[j]) / scale[j];
        }
        return out;
    }

    /**
     * Standardises a matrix into a new array of the given type.
     *
     * @param x    rows of raw features
     * @param type FLOAT or DOUBLE
     * @return a new {@code [n, d]} array
     */
    INDArray apply(INDArray x, DataType type) {
        INDArray out = x.castTo(type).dup('c');
        INDArray m = Nd4j.create(mean, new long[]{1, mean.length}).castTo(type);
        INDArray s = Nd4j.create(scale, new long[]{1, scale.length}).castTo(type);
        return out.subiRowVector(m).diviRowVector(s);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Standardizer s && Arrays.equals(mean, s.mean) && Arrays.equals(scale, s.scale);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(scale);
    }
}
