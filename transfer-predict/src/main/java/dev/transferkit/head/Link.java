package dev.transferkit.head;

/**
 * How a {@link LinearHead} turns its linear scores {@code z = W x + b} (one per weight row) into one score per class.
 * Two-class heads have one weight row scoring class 1 against class 0; the others have one row per class.
 */
enum Link {
    /** Two classes, one row: {@code P(class 1) = sigmoid(z)}, {@code P(class 0) = 1 - P(class 1)}. */
    SIGMOID(true),
    /** One-vs-rest logistic regression: {@code sigmoid(z_c)} normalised to sum to one (liblinear's and scikit-learn's). */
    NORMALISED_SIGMOIDS(true),
    /** Multinomial logistic regression: {@code softmax(z)}. */
    SOFTMAX(true),
    /** Linear SVM margins: with one row, class 1 gets {@code z} and class 0 gets {@code -z}; otherwise {@code z_c}. */
    MARGINS(false);

    private final boolean probabilistic;

    Link(boolean probabilistic) {
        this.probabilistic = probabilistic;
    }

    /** @return whether the scores are probabilities that sum to one */
    boolean probabilistic() {
        return probabilistic;
    }

    /**
     * Returns the number of weight rows a head with this link has.
     *
     * @param classes the number of classes
     * @return 1 for two-class sigmoid and margin heads, otherwise {@code classes}
     */
    int rows(int classes) {
        return this == SIGMOID || (this == MARGINS && classes == 2) ? 1 : classes;
    }

    /**
     * Maps linear scores to class scores.
     *
     * @param z       one linear score per weight row
     * @param classes the number of classes
     * @return one score per class
     */
    double[] apply(double[] z, int classes) {
        double[] out = new double[classes];
        switch (this) {
            case SIGMOID -> {
                out[1] = sigmoid(z[0]);
                out[0] = 1 - out[1];
            }
            case NORMALISED_SIGMOIDS -> {
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    out[c] = sigmoid(z[c]);
                    sum += out[c];
                }
                for (int c = 0; c < classes; c++) {
                    out[c] /= sum;
                }
            }
            case SOFTMAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    out[c] = Math.exp(z[c] - max);
                    sum += out[c];
                }
                for (int c = 0; c < classes; c++) {
                    out[c] /= sum;
                }
            }
            case MARGINS -> {
                if (z.length == 1) {
                    out[1] = z[0];
                    out[0] = -z[0];
                } else {
                    System.arraycopy(z, 0, out, 0, classes);
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return out;
    }

    /** The logistic function, written as liblinear writes it so that converted liblinear heads score identically. */
    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }
}
