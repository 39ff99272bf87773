package dev.transferkit.head;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The matrix products of the linear solvers. On ND4J's CPU backend they call the OpenBLAS that the backend ships
 * (cblas, through JavaCPP) directly on ND4J's buffers: ND4J 1.0.0-M2.1's {@code mmul} adds enough per-call work and
 * copies (a transposed operand is copied first) to make the solvers' matrix-vector products several times slower
 * than numpy's. Elsewhere (the CUDA backend, which does not ship OpenBLAS) they fall back to {@code INDArray.mmul}.
 */
final class Blas {
    private static final boolean OPENBLAS = probe();

    private Blas() {
    }

    private static boolean probe() {
        try {
            if (!"org.nd4j.linalg.cpu.nativecpu.CpuBackend".equals(Nd4j.getBackend().getClass().getName())) {
                return false;
            }
            Loader.load(openblas_nolapack.class);
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** @return whether products go to OpenBLAS directly */
    static boolean usesOpenBlas() {
        return OPENBLAS;
    }

    /**
     * Returns a matrix the products can use: DOUBLE, row-major, owning its buffer.
     *
     * @param a any matrix
     * @return {@code a} itself or a copy
     */
    static INDArray matrix(INDArray a) {
        return a.dataType() == DataType.DOUBLE && a.ordering() == 'c' && !a.isView() && a.offset() == 0
                && a.length() == a.data().length() ? a : a.castTo(DataType.DOUBLE).dup('c');
    }

    /**
     * Multiplies a matrix by a small one.
     *
     * @param a         a matrix from {@link #matrix}, {@code m x k}
     * @param transpose whether to use {@code a^T}
     * @param v         row-major {@code k x r} ({@code m x r} when transposed)
     * @param r         columns of {@code v}
     * @return row-major {@code a v} ({@code m x r}), or {@code a^T v} ({@code k x r})
     */
    static double[] multiply(INDArray a, boolean transpose, double[] v, int r) {
        return multiply(a, 0, (int) a.rows(), transpose, v, r);
    }

    /**
     * Multiplies a block of rows of a matrix by a small one: {@code a[from:to] v}, or {@code a[from:to]^T v[from:to]}
     * (the block's share of {@code a^T v}).
     *
     * @param a         a matrix from {@link #matrix}, {@code m x k}
     * @param from      the block's first row
     * @param to        the row after the block
     * @param transpose whether to use the block's transpose
     * @param v         row-major {@code k x r}, or {@code m x r} when transposed (only the block's rows are used)
     * @param r         columns of {@code v}
     * @return row-major {@code (to - from) x r}, or {@code k x r} when transposed
     */
    static double[] multiply(INDArray a, int from, int to, boolean transpose, double[] v, int r) {
        return OPENBLAS ? multiplyByOpenBlas(a, from, to, transpose, v, r) : multiplyByNd4j(a, from, to, transpose, v, r);
    }

    /** {@link #multiply} by ND4J's {@code mmul}; a transposed product is computed as {@code (v^T a)^T}, not copying {@code a}. */
    static double[] multiplyByNd4j(INDArray a, int from, int to, boolean transpose, double[] v, int r) {
        INDArray block = from == 0 && to == a.rows() ? a : a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
        if (transpose) {
            double[] rows = java.util.Arrays.copyOfRange(v, from * r, to * r);
            return Matrices.rowMajor(Matrices.of(rows, to - from, r, DataType.DOUBLE).transpose().mmul(block).transpose());
        }
        return Matrices.rowMajor(block.mmul(Matrices.of(v, (int) a.columns(), r, DataType.DOUBLE)));
    }

    /** {@link #multiply} by OpenBLAS's dgemv (one column) or dgemm. */
    static double[] multiplyByOpenBlas(INDArray a, int from, int to, boolean transpose, double[] v, int r) {
        int m = to - from;
        int k = (int) a.columns();
        int out = transpose ? k : m;
        double[] result = new double[out * r];
        try (DoublePointer x = transpose ? new DoublePointer((long) m * r).put(v, from * r, m * r) : new DoublePointer(v);
             DoublePointer y = new DoublePointer((long) out * r)) {
            DoublePointer data = new DoublePointer(a.data().addressPointer()).position((long) from * k);
            int trans = transpose ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
            if (r == 1) {
                openblas_nolapack.cblas_dgemv(openblas_nolapack.CblasRowMajor, trans, m, k, 1.0, data, k, x, 1, 0.0, y, 1);
            } else {
                openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, trans, openblas_nolapack.CblasNoTrans, out, r,
                        transpose ? m : k, 1.0, data, k, x, r, 0.0, y, r);
            }
            y.get(result);
        }
        return result;
    }

    /**
     * Computes the Gram matrix {@code x x^T} in single precision and returns it in double precision.
     *
     * @param x FLOAT {@code [n, d]}
     * @return DOUBLE {@code [n, n]}
     */
    static INDArray gram(INDArray x) {
        return OPENBLAS ? gramBySyrk(x) : gramByBlocks(x);
    }

    /** OpenBLAS's symmetric rank-k update fills the upper triangle (half the work of a product); then it is mirrored. */
    static INDArray gramBySyrk(INDArray x) {
        INDArray rows = x.dataType() == DataType.FLOAT && x.ordering() == 'c' && !x.isView() && x.offset() == 0
                ? x : x.castTo(DataType.FLOAT).dup('c');
        int n = (int) rows.rows();
        int d = (int) rows.columns();
        INDArray upper = Nd4j.create(DataType.FLOAT, n, n);
        openblas_nolapack.cblas_ssyrk(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasUpper, openblas_nolapack.CblasNoTrans,
                n, d, 1f, new FloatPointer(rows.data().addressPointer()), d, 0f, new FloatPointer(upper.data().addressPointer()), n);
        INDArray k = upper.castTo(DataType.DOUBLE);
        upper.close();
        try (DoubleIndexer index = DoubleIndexer.create(new DoublePointer(k.data().addressPointer()).capacity((long) n * n))) {
            for (long i = 0; i < n; i++) {
                for (long j = i + 1; j < n; j++) {
                    index.put(j * n + i, index.get(i * n + j));
                }
            }
        }
        return k;
    }

    /** ND4J products of blocks of rows, only those on and above the diagonal. */
    static INDArray gramByBlocks(INDArray x) {
        int n = (int) x.rows();
        int block = Math.max(1024, (n + 7) / 8);
        INDArray k = Nd4j.create(DataType.DOUBLE, n, n);
        for (int i0 = 0; i0 < n; i0 += block) {
            int i1 = Math.min(n, i0 + block);
            INDArray xi = x.get(NDArrayIndex.interval(i0, i1), NDArrayIndex.all());
            for (int j0 = i0; j0 < n; j0 += block) {
                int j1 = Math.min(n, j0 + block);
                INDArray product = xi.mmul(x.get(NDArrayIndex.interval(j0, j1), NDArrayIndex.all()).transpose());
                k.get(NDArrayIndex.interval(i0, i1), NDArrayIndex.interval(j0, j1)).assign(product);
                if (j0 != i0) {
                    k.get(NDArrayIndex.interval(j0, j1), NDArrayIndex.interval(i0, i1)).assign(product.transpose());
                }
                product.close();
            }
        }
        return k;
    }
}
