package dev.transferkit.head;

import java.util.List;

/**
 * What k-fold cross-validation of a C grid measured ({@link LinearHeadTrainer#crossValidate}): per C, the mean and
 * spread over the folds of the held-out accuracy and balanced accuracy, and the C the trainer chooses (the best score
 * over all held-out predictions pooled, balanced accuracy when class weights are not uniform; ties to the smaller C).
 *
 * @param scores one entry per C of the grid, ascending
 * @param best   the position of the chosen C in {@code scores}
 * @param folds  the number of folds
 */
public record CrossValidationReport(List<Score> scores, int best, int folds) {
    /** Copies the scores. */
    public CrossValidationReport {
        scores = List.copyOf(scores);
    }

    /**
     * One C's scores.
     *
     * @param c                the regularisation strength
     * @param accuracy         mean held-out accuracy over the folds
     * @param accuracySpread   its standard deviation over the folds
     * @param balancedAccuracy mean held-out balanced accuracy (mean recall of the classes) over the folds
     * @param balancedSpread   its standard deviation over the folds
     * @param pooled           the score the choice of C uses, on all held-out predictions pooled
     */
    public record Score(double c, double accuracy, double accuracySpread, double balancedAccuracy, double balancedSpread,
                        double pooled) {
    }

    /** @return the chosen C's scores */
    public Score chosen() {
        return scores.get(best);
    }
}
