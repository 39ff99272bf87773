package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
