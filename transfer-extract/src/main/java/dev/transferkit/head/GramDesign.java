package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The training rows through their Gram matrix {@code K = X X^T}: weights are kept as {@code W = X^T A} with a
 * {@code rows x r} matrix {@code A}. The L2-regularised logistic loss's gradient in {@code W} is {@code X^T B} for a
 * {@code rows x r} matrix {@code B}, so every minimiser iterate stays of this form, and the gradient's data pass is
 * one product {@code K B}, over {@code rows^2} values instead of {@code rows x features}. Inner products are
 * {@code trace(A_a^T K A_b)}, read off the carried image {@code K A_b}. The better form when there are fewer rows
 * than features, e.g. 5,000 rows of 25,088 features.
 */
final class GramDesign implements Design {
    private final INDArray kernel;
    private final INDArray heldOutKernel;
    private final INDArray features;
    private final int[] train;

    /**
     * @param gram     the Gram matrix of every row of the problem, DOUBLE {@code [n, n]}
     * @param features the standardised features of every row, FLOAT {@code [n, features]}, for {@link #featureWeights}
     * @param train    the training rows, ascending
     * @param heldOut  the held-out rows, ascending (may be empty)
     */
    GramDesign(INDArray gram, INDArray features, int[] train, int[] heldOut) {
        this.kernel = train.length == gram.rows() ? gram : Nd4j.pullRows(Nd4j.pullRows(gram, 1, train), 0, train);
        this.heldOutKernel = heldOut.length == 0 ? null : Nd4j.pullRows(Nd4j.pullRows(gram, 1, heldOut), 0, train);
        this.features = features;
        this.train = train.clone();
    }

    /**
     * Computes {@code X X^T} in single precision, in blocks so that only the upper triangle's products are done,
     * and stores it in double precision.
     *
     * @param x standardised features, FLOAT {@code [n, features]}
     * @return the Gram matrix, DOUBLE {@code [n, n]}
     */
    static INDArray gram(INDArray x) {
        int n = (int) x.rows();
        int block = Math.max(1024, (n + 7) / 8);
        INDArray k = Nd4j.create(DataType.DOUBLE, n, n);
        for (int i0 = 0; i0 < n; i0 += block) {
            int i1 = Math.min(n, i0 + block);
            INDArray xi = x.get(NDArrayIndex.interval(i0, i1), NDArrayIndex.all());
            for (int j0 = i0; j0 < n; j0 += block) {
                int j1 = Math.min(n, j0 + block);
                INDArray xj = x.get(NDArrayIndex.interval(j0, j1), NDArrayIndex.all());
                INDArray product = xi.mmul(xj.transpose());
                k.get(NDArrayIndex.interval(i0, i1), NDArrayIndex.interval(j0, j1)).assign(product);
                if (j0 != i0) {
                    k.get(NDArrayIndex.interval(j0, j1), NDArrayIndex.interval(i0, i1))
                            .assign(product.transpose());
                }
                product.close();
            }
        }
        return k;
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
        INDArray image = kernel.mmul(Matrices.of(g, rows(), r, DataType.DOUBLE));
        return new Coefficients(g.clone(), Matrices.rowMajor(image), new double[r]);
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return Coefficients.dot(a.weights, b.image);
    }

    @Override
    public Coefficients point(double[] weights, double[] intercepts) {
        int r = intercepts.length;
        double[] image = Matrices.rowMajor(kernel.mmul(Matrices.of(weights, rows(), r, DataType.DOUBLE)));
        return new Coefficients(weights.clone(), image, intercepts.clone());
    }

    @Override
    public double[] heldOutScores(Coefficients p) {
        int r = p.intercepts.length;
        double[] z = Matrices.rowMajor(heldOutKernel.mmul(Matrices.of(p.weights, rows(), r, DataType.DOUBLE)));
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
        INDArray a = Matrices.of(lift(weights, r), (int) features.rows(), r, features.dataType());
        return Matrices.rowMajor(features.transpose().mmul(a));
    }
}
