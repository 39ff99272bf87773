package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training rows through the standardised feature matrix {@code X} itself (double precision): weights are the
 * {@code features x r} matrix {@code W}; a gradient's data pass costs two products ({@code X^T g}, then its image
 * {@code X X^T g}). A fold either copies out its training and held-out rows (less to read per product), or, when
 * copies would take too much memory, multiplies the matrix of all rows with zero residuals for its held-out rows.
 * The better form when there are more rows than features.
 */
final class PrimalDesign implements Design {
    private final INDArray x;
    private final INDArray heldOutX;
    private final int[] train;
    private final int[] heldOut;
    private final boolean copied;

    /**
     * @param all     standardised features of every row of the problem, from {@link Blas#matrix}, {@code [n, features]}
     * @param train   the training rows, ascending
     * @param heldOut the held-out rows, ascending (may be empty)
     * @param copy    whether to copy the fold's rows out of {@code all}
     */
    PrimalDesign(INDArray all, int[] train, int[] heldOut, boolean copy) {
        this.copied = copy && train.length < all.rows();
        this.x = copied ? Blas.matrix(Nd4j.pullRows(all, 1, train)) : all;
        this.heldOutX = copied && heldOut.length > 0 ? Blas.matrix(Nd4j.pullRows(all, 1, heldOut)) : null;
        this.train = train.clone();
        this.heldOut = heldOut.clone();
    }

    /** @return whether the products go over all rows of the problem rather than exactly the training rows */
    private boolean shared() {
        return !copied && train.length < x.rows();
    }

    @Override
    public int rows() {
        return train.length;
    }

    @Override
    public int coefficientRows() {
        return (int) x.columns();
    }

    @Override
    public Coefficients transposeTimes(double[] g, int r) {
        double[] w = Blas.multiply(x, true, shared() ? Matrices.scatter(g, train, (int) x.rows(), r) : g, r);
        return new Coefficients(w, trainScores(w, r), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.weights);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        return new Coefficients(weights.clone(), trainScores(weights, intercepts.length), intercepts.clone());
    }

    private double[] trainScores(double[] w, int r) {
        double[] scores = Blas.multiply(x, false, w, r);
        return shared() ? Matrices.gather(scores, train, r) : scores;
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = copied ? Blas.multiply(heldOutX, false, p.weights, r)
                : Matrices.gather(Blas.multiply(x, false, p.weights, r), heldOut, r);
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
