package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training rows through their Gram matrix {@code K = X X^T}: weights are kept as {@code W = X^T A} with a
 * {@code rows x r} matrix {@code A}. The L2-regularised logistic loss's gradient in {@code W} is {@code X^T B} for a
 * {@code rows x r} matrix {@code B}, so every minimiser iterate stays of this form, and the gradient's data pass is
 * one product {@code K B}, over {@code rows^2} values instead of {@code rows x features}. Inner products are
 * {@code trace(A_a^T K A_b)}, read off the carried image {@code K A_b}. The products are with the Gram matrix of all
 * rows of the problem ({@code A} is zero on the held-out rows), shared with the other folds. The better form when
 * there are fewer rows than features, e.g. 5,000 rows of 25,088 features.
 */
final class GramDesign implements Design {
    private final Products products;
    private final INDArray features;
    private final int[] train;
    private final int[] heldOut;
    private final int total;

    /**
     * @param products products with the Gram matrix of every row of the problem, {@code [n, n]}
     * @param features the standardised features of every row, FLOAT {@code [n, features]}, for {@link #featureWeights}
     * @param train    the training rows, ascending
     * @param heldOut  the held-out rows, ascending (may be empty)
     */
    GramDesign(Products products, INDArray features, int[] train, int[] heldOut) {
        this.products = products;
        this.features = features;
        this.total = (int) features.rows();
        this.train = train.clone();
        this.heldOut = heldOut.clone();
    }

    @Override
    public int rows() {
        return train.length;
    }

    @Override
    public int coefficientRows() {
        return train.length;
    }

    @Override
    public Coefficients transposeTimes(double[] g, int r) {
        return new Coefficients(g.clone(), trainScores(g, r), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.image);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        return new Coefficients(weights.clone(), trainScores(weights, intercepts.length), intercepts.clone());
    }

    /** @return {@code K[train, train] a}, the scores of the training rows */
    private double[] trainScores(double[] a, int r) {
        double[] all = products.times(lift(a, r), r);
        return train.length == total ? all : Matrices.gather(all, train, r);
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Matrices.gather(products.times(lift(p.weights, r), r), heldOut, r);
        for (int i = 0; i < z.length; i++) {
            z[i] += p.intercepts[i % r];
        }
        return z;
    }

    @Override
    public double[] lift(double[] weights, int r) {
        return train.length == total ? weights.clone() : Matrices.scatter(weights, train, total, r);
    }

    @Override
    public double[] featureWeights(double[] weights, int r) {
        // (A^T X)^T: only the small A is transposed, so the features are read once and not copied.
        INDArray a = Matrices.of(lift(weights, r), total, r, features.dataType());
        return Matrices.rowMajor(a.transpose().mmul(features).transpose());
    }
}
