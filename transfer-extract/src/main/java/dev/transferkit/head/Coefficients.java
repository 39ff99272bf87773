package dev.transferkit.head;

/**
 * A point (or a direction) of a linear model in a {@link Design}'s coordinates: the weight coefficients, their image
 * (the linear scores, without intercepts, that the weights give the design's training rows) and the intercepts.
 * Matrices are row-major with {@code r} columns, one per linear score. Carrying the image along lets a minimiser
 * move through the space by linear combinations without touching the data. Only the in-place operations change an
 * instance, and only the minimiser's own vectors are changed in place.
 */
final class Coefficients {
    final double[] weights;
    final double[] image;
    final double[] intercepts;

    Coefficients(double[] weights, double[] image, double[] intercepts) {
        this.weights = weights;
        this.image = image;
        this.intercepts = intercepts;
    }

    /**
     * @param coefficientRows rows of the weight coefficients
     * @param rows            training rows
     * @param r               linear scores per row
     * @return the origin
     */
    static Coefficients zero(int coefficientRows, int rows, int r) {
        return new Coefficients(new double[coefficientRows * r], new double[rows * r], new double[r]);
    }

    /** @return {@code a * x + y} */
    static Coefficients axpy(double a, Coefficients x, Coefficients y) {
        return new Coefficients(axpy(a, x.weights, y.weights), axpy(a, x.image, y.image), axpy(a, x.intercepts, y.intercepts));
    }

    /** @return {@code a * x} */
    static Coefficients scale(double a, Coefficients x) {
        return new Coefficients(scale(a, x.weights), scale(a, x.image), scale(a, x.intercepts));
    }

    /** Adds {@code a * x} to {@code y}, in place. */
    static void addScaled(double a, Coefficients x, Coefficients y) {
        addScaled(a, x.weights, y.weights);
        addScaled(a, x.image, y.image);
        addScaled(a, x.intercepts, y.intercepts);
    }

    /** Multiplies {@code x} by {@code a}, in place. */
    static void scaleInPlace(double a, Coefficients x) {
        scaleInPlace(a, x.weights);
        scaleInPlace(a, x.image);
        scaleInPlace(a, x.intercepts);
    }

    static void addScaled(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    static void scaleInPlace(double a, double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= a;
        }
    }

    static double[] axpy(double a, double[] x, double[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i] + y[i];
        }
        return out;
    }

    static double[] scale(double a, double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i];
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
