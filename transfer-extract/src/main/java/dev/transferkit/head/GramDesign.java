package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training rows through their Gram matrix {@code K = X X^T}: weights are kept as {@code W = X^T A} with a
 * {@code rows x r} matrix {@code A}. The L2-regularised logistic loss's gradient in {@code W} is {@code X^T B} for a
 * {@code rows x r} matrix {@code B}, so every minimiser iterate stays of this form, and the gradient's data pass is
 * one product {@code K B}, over {@code rows^2} values instead of {@code rows x features}. Inner products are
 * {@code trace(A_a^T K A_b)}, read off the carried image {@code K A_b}. A fold copies out the Gram matrix of its
 * training rows (and of its held-out rows against them). The better form when there are fewer rows than features,
 * e.g. 5,000 rows of 25,088 features.
 */
final class GramDesign implements Design {
    private final INDArray kernel;
    private final INDArray heldOutKernel;
    private final INDArray features;
    private final int[] train;

    /**
     * @param gram     the Gram matrix of every row of the problem, from {@link Blas#gram}, {@code [n, n]}
     * @param features the standardised features of every row, FLOAT {@code [n, features]}, for {@link #featureWeights}
     * @param train    the training rows, ascending
     * @param heldOut  the held-out rows, ascending (may be empty)
     */
    GramDesign(INDArray gram, INDArray features, int[] train, int[] heldOut) {
        this.kernel = train.length == gram.rows() ? gram : Blas.matrix(Nd4j.pullRows(Nd4j.pullRows(gram, 1, train), 0, train));
        this.heldOutKernel = heldOut.length == 0 ? null : Blas.matrix(Nd4j.pullRows(Nd4j.pullRows(gram, 1, heldOut), 0, train));
        this.features = features;
        this.train = train.clone();
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
        return new Coefficients(g.clone(), Blas.multiply(kernel, false, g, r), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.image);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        return new Coefficients(weights.clone(), Blas.multiply(kernel, false, weights, intercepts.length), intercepts.clone());
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Blas.multiply(heldOutKernel, false, p.weights, r);
        for (int i = 0; i < z.length; i++) {
            z[i] += p.intercepts[i % r];
        }
        return z;
    }

    @Override
    public double[] lift(double[] weights, int r) {
        return Matrices.scatter(weights, train, (int) features.rows(), r);
    }

    @Override
    public double[] featureWeights(double[] weights, int r) {
        // (A^T X)^T: only the small A is transposed, so the features are read once and not copied.
        INDArray a = Matrices.of(lift(weights, r), (int) features.rows(), r, features.dataType());
        return Matrices.rowMajor(a.transpose().mmul(features).transpose());
    }
}
