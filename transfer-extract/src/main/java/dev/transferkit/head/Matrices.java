package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Moves row-major Java matrices in and out of ND4J, whose BLAS does the products of the linear solvers. */
final class Matrices {
    private Matrices() {
    }

    /**
     * @param data row-major values
     * @param rows rows
     * @param cols columns
     * @param type the array type
     * @return a new c-order array
     */
    static INDArray of(double[] data, int rows, int cols, DataType type) {
        INDArray a = Nd4j.create(data, new long[]{rows, cols}, 'c');
        return type == DataType.DOUBLE ? a : a.castTo(type);
    }

    /**
     * @param a a matrix of any order and type
     * @return its values, row-major, as doubles
     */
    static double[] rowMajor(INDArray a) {
        INDArray c = a.dataType() == DataType.DOUBLE && a.ordering() == 'c' && !a.isView() && a.offset() == 0
                && a.length() == a.data().length() ? a : a.castTo(DataType.DOUBLE).dup('c');
        return c.data().asDouble();
    }

    /** Receives the rows of a matrix one at a time. */
    interface RowConsumer {
        /**
         * @param index the row's index
         * @param row   its values; the array is reused for the next row
         */
        void accept(int index, float[] row);
    }

    /**
     * Reads a matrix's rows in order, copying blocks of rows out of ND4J at once (per-row reads cost more in ND4J's
     * bookkeeping than in copying).
     *
     * @param x        a matrix
     * @param consumer called once per row
     */
    static void forEachRow(INDArray x, RowConsumer consumer) {
        int n = (int) x.rows();
        int d = (int) x.columns();
        int block = Math.max(1, (1 << 20) / Math.max(1, d));
        float[] row = new float[d];
        for (int i0 = 0; i0 < n; i0 += block) {
            int i1 = Math.min(n, i0 + block);
            float[] values = x.get(NDArrayIndex.interval(i0, i1), NDArrayIndex.all()).castTo(DataType.FLOAT).dup('c').data().asFloat();
            for (int i = i0; i < i1; i++) {
                System.arraycopy(values, (i - i0) * d, row, 0, d);
                consumer.accept(i, row);
            }
        }
    }

    /**
     * Picks rows of a matrix.
     *
     * @param values row-major, {@code r} columns
     * @param rows   the rows to pick
     * @param r      columns
     * @return row-major {@code rows.length x r}
     */
    static double[] gather(double[] values, int[] rows, int r) {
        double[] out = new double[rows.length * r];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(values, rows[i] * r, out, i * r, r);
        }
        return out;
    }

    /**
     * Spreads the rows of a matrix over a larger one.
     *
     * @param values row-major {@code rows.length x r}
     * @param rows   the destination row of each row
     * @param total  rows of the result
     * @param r      columns
     * @return row-major {@code total x r}, zero elsewhere
     */
    static double[] scatter(double[] values, int[] rows, int total, int r) {
        double[] out = new double[total * r];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(values, i * r, out, rows[i] * r, r);
        }
        return out;
    }
}
