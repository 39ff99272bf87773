package dev.transferkit.head;

/**
 * The training rows of a linear model as the minimiser sees them. A model's weights {@code W} (a
 * {@code features x r} matrix) give the training rows the scores {@code X W}; a design represents {@code W} by
 * coefficients of its own choosing and supplies the few operations the logistic loss needs: the weights
 * {@code X^T g} of a residual matrix (the data pass of a gradient), inner products of weights, and scores of
 * held-out rows. {@link PrimalDesign} keeps {@code W} itself; {@link GramDesign} keeps {@code W = X^T A} by the
 * {@code rows x r} matrix {@code A}, which is cheaper when there are fewer rows than features. Both give the same
 * minimiser iterates.
 */
interface Design {
    /** @return the number of training rows */
    int rows();

    /** @return the number of rows of the weight coefficients */
    int coefficientRows();

    /**
     * The data pass of a gradient: the weights {@code X^T g} with their image {@code X X^T g}.
     *
     * @param g residuals, {@code rows() x r}, row-major
     * @param r columns of {@code g}
     * @return the weights, with zero intercepts
     */
    Coefficients transposeTimes(double[] g, int r);

    /**
     * The inner product of two weight matrices, {@code trace(W_a^T W_b)}; intercepts are left out.
     *
     * @param a weights
     * @param b weights
     * @return the inner product
     */
    double dot(Coefficients a, Coefficients b);

    /**
     * Builds a point from coefficients, computing their image.
     *
     * @param weights    coefficients in this design's coordinates, {@code coefficientRows() x r}
     * @param intercepts the intercepts, length {@code r}
     * @return the point
     */
    Coefficients point(double[] weights, double[] intercepts);

    /**
     * Scores the held-out rows the design was made with.
     *
     * @param x a point
     * @return linear scores with intercepts, {@code heldOut x r}, row-major
     */
    double[] heldOutScores(Coefficients x);

    /**
     * Expresses coefficients in the coordinates of a design over all rows of the problem (the same weights), for
     * warm-starting the final fit from the folds' solutions.
     *
     * @param weights coefficients in this design's coordinates
     * @param r       linear scores per row
     * @return coefficients for the design over all rows
     */
    double[] lift(double[] weights, int r);

    /**
     * Returns the weights as a {@code features x r} matrix over the (standardised) features.
     *
     * @param weights coefficients in this design's coordinates
     * @param r       linear scores per row
     * @return row-major weights
     */
    double[] featureWeights(double[] weights, int r);
}
