package dev.transferkit.head;

import java.util.List;

/**
 * Trains one kind of linear model. Cross-validation grows a path per fold (a fit for each C of an ascending grid, each
 * starting from the fold's previous solution, scored on the fold's held-out rows), the whole grid at once or a C at a
 * time when it may stop early, then asks for the final fit on every row, which may start from the folds' solutions. The solver runs the
 * folds in parallel as suits it.
 *
 * @param <P> the fold paths
 */
interface LinearSolver<P extends LinearSolver.FoldPath> {
    /** The outcome of one fold's path. */
    interface FoldPath {
        /**
         * @param index a position in the grid
         * @return the predicted class of each held-out row, in ascending row order
         */
        int[] predictions(int index);
    }

    /**
     * Continues every fold's path by one or more C values: fits each in turn on the fold's training rows, starting
     * from the fold's solution at the previous C, and predicts the fold's held-out rows. A fold's rows are prepared once
     * per call, so a whole grid in one call costs less than one call per C.
     *
     * @param folds the split
     * @param paths the folds' paths so far, in fold order; empty to start them
     * @param cs    the next C values, ascending, each larger than the paths' last
     * @return the folds' paths, {@code cs.length} C values longer, in fold order
     */
    List<P> extend(Folds folds, List<P> paths, double[] cs);

    /**
     * Fits all rows.
     *
     * @param c     the regularisation strength
     * @param paths the folds' paths (empty when there was no cross-validation)
     * @param index the position of {@code c} in the paths' grid
     * @return the head, its info holding the solver's details
     */
    LinearHead fit(double c, List<P> paths, int index);

    /**
     * @param list  a path's values so far
     * @param value the next grid position's value
     * @param <T>   the values
     * @return an unmodifiable copy of {@code list} with {@code value} appended
     */
    static <T> List<T> appended(List<T> list, T value) {
        List<T> out = new java.util.ArrayList<>(list);
        out.add(value);
        return List.copyOf(out);
    }
}
