package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training rows through the standardised feature matrix {@code X} itself (double precision): weights are the
 * {@code features x r} matrix {@code W}; a gradient's data pass costs two products ({@code X^T g}, then its image
 * {@code X X^T g}). The products are with the matrix of all rows of the problem, held-out rows getting zero
 * residuals, so that folds need no copies of the data. The better form when there are more rows than features.
 */
final class PrimalDesign implements Design {
    private final INDArray x;
    private final int[] train;
    private final int[] heldOut;
    private final int total;

    /**
     * @param x       standardised features of every row of the problem, from {@link Blas#matrix}, {@code [n, features]}
     * @param train   the training rows, ascending
     * @param heldOut the held-out rows, ascending (may be empty)
     */
    PrimalDesign(INDArray x, int[] train, int[] heldOut) {
        this.x = x;
        this.total = (int) x.rows();
        this.train = train.clone();
        this.heldOut = heldOut.clone();
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
        double[] w = Blas.multiply(x, true, train.length == total ? g : Matrices.scatter(g, train, total, r), r);
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
        double[] all = Blas.multiply(x, false, w, r);
        return train.length == total ? all : Matrices.gather(all, train, r);
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Matrices.gather(Blas.multiply(x, false, p.weights, r), heldOut, r);
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
