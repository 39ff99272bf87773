package dev.transferkit.head;

/** Products of a fixed matrix {@code M} with small row-major matrices. */
interface Products {
    /**
     * @param v row-major {@code columns(M) x r}
     * @param r columns of {@code v}
     * @return row-major {@code M v}, {@code rows(M) x r}
     */
    double[] times(double[] v, int r);

    /**
     * @param v row-major {@code rows(M) x r}
     * @param r columns of {@code v}
     * @return row-major {@code M^T v}, {@code columns(M) x r}
     */
    double[] transposeTimes(double[] v, int r);
}
