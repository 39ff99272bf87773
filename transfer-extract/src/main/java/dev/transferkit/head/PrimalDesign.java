package dev.transferkit.head;

/**
 * The training rows through the standardised feature matrix {@code X} itself (double precision): weights are the
 * {@code features x r} matrix {@code W}; a gradient's data pass costs two products ({@code X^T g}, then its image
 * {@code X X^T g}). The products are over all rows of the problem (held-out rows get zero residuals), shared with the
 * other folds. The better form when there are more rows than features.
 */
final class PrimalDesign implements Design {
    private final Products products;
    private final int[] train;
    private final int[] heldOut;
    private final int total;
    private final int features;

    /**
     * @param products products with {@code X}, {@code [n, features]}
     * @param total    n, the rows of the problem
     * @param features the feature dimension
     * @param train    the training rows, ascending
     * @param heldOut  the held-out rows, ascending (may be empty)
     */
    PrimalDesign(Products products, int total, int features, int[] train, int[] heldOut) {
        this.products = products;
        this.total = total;
        this.features = features;
        this.train = train.clone();
        this.heldOut = heldOut.clone();
    }

    @Override
    public int rows() {
        return train.length;
    }

    @Override
    public int coefficientRows() {
        return features;
    }

    @Override
    public Coefficients transposeTimes(double[] g, int r) {
        double[] w = products.transposeTimes(train.length == total ? g : Matrices.scatter(g, train, total, r), r);
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
        double[] all = products.times(w, r);
        return train.length == total ? all : Matrices.gather(all, train, r);
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Matrices.gather(products.times(p.weights, r), heldOut, r);
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
