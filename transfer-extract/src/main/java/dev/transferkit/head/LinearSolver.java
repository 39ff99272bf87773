package dev.transferkit.head;

import java.util.List;

/**
 * Trains one kind of linear model. Cross-validation asks it for a path per fold (a fit for every C of an ascending
 * grid, each starting from the previous solution, scored on the fold's held-out rows), then for the final fit on
 * every row, which may start from the folds' solutions. The solver runs the folds in parallel as suits it.
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
     * Fits every C in turn on each fold's training rows.
     *
     * @param folds the split
     * @param cs    the grid, ascending
     * @return one path per fold, in fold order
     */
    List<P> paths(Folds folds, double[] cs);

    /**
     * Fits all rows.
     *
     * @param c     the regularisation strength
     * @param paths the folds' paths (empty when there was no cross-validation)
     * @param index the position of {@code c} in the paths' grid
     * @return the head, its info holding the solver's details
     */
    LinearHead fit(double c, List<P> paths, int index);
}
