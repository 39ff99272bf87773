package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training rows as the matrix {@code X} itself (double precision): weights are the {@code features x r} matrix
 * {@code W}; a gradient's data pass costs two products with {@code X} ({@code X^T g}, then its image). The better
 * form when there are more rows than features.
 */
final class PrimalDesign implements Design {
    private final INDArray x;
    private final INDArray heldOut;
    private final int features;

    /**
     * @param all     standardised features of every row of the problem, {@code [n, features]} (used as is when DOUBLE)
     * @param train   the training rows, ascending
     * @param heldOut the held-out rows, ascending (may be empty)
     */
    PrimalDesign(INDArray all, int[] train, int[] heldOut) {
        this.x = Blas.matrix(train.length == all.rows() ? all : Nd4j.pullRows(all, 1, train));
        this.heldOut = heldOut.length == 0 ? null : Blas.matrix(Nd4j.pullRows(all, 1, heldOut));
        this.features = (int) all.columns();
    }

    @Override
    public int rows() {
        return (int) x.rows();
    }

    @Override
    public int coefficientRows() {
        return features;
    }

    @Override
    public Coefficients transposeTimes(double[] g, int r) {
        double[] w = Blas.multiply(x, true, g, r);
        return new Coefficients(w, Blas.multiply(x, false, w, r), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.weights);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        int r = intercepts.length;
        return new Coefficients(weights.clone(), Blas.multiply(x, false, weights, r), intercepts.clone());
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Blas.multiply(heldOut, false, p.weights, r);
        for (int i = 0; i < z.length; i++) {
            z[i] += p.intercepts[i % r];
        }
        return z;
    }

    @Override
    public double[] lift(double[] weights, int r) {
        return weights.clone();
    }

    @Override
    public double[] featureWeights(double[] weights, int r) {
        return weights.clone();
    }
}
