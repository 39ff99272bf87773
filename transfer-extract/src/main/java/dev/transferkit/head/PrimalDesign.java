package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
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
     * @param all     standardised features of every row of the problem, DOUBLE {@code [n, features]}
     * @param train   the training rows, ascending
     * @param heldOut the held-out rows, ascending (may be empty)
     */
    PrimalDesign(INDArray all, int[] train, int[] heldOut) {
        this.x = train.length == all.rows() ? all : Nd4j.pullRows(all, 1, train);
        this.heldOut = heldOut.length == 0 ? null : Nd4j.pullRows(all, 1, heldOut);
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
        INDArray w = x.transpose().mmul(Matrices.of(g, rows(), r, DataType.DOUBLE));
        return new Coefficients(Matrices.rowMajor(w), Matrices.rowMajor(x.mmul(w)), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.weights);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        int r = intercepts.length;
        double[] image = Matrices.rowMajor(x.mmul(Matrices.of(weights, features, r, DataType.DOUBLE)));
        return new Coefficients(weights.clone(), image, intercepts.clone());
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Matrices.rowMajor(heldOut.mmul(Matrices.of(p.weights, features, r, DataType.DOUBLE)));
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
