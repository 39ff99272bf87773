package dev.transferkit.probe;

import dev.transferkit.extract.FeatureTarget;

/**
 * What the probe measured for one layer and pooling: k-fold cross-validated scores of the linear head at its best C.
 * A candidate whose features equal an earlier candidate's (e.g. a declared layer that is another layer average-pooled)
 * is not cross-validated again: its row repeats that candidate's scores and names it in {@code sameAs}.
 *
 * @param target              the layer and pooling
 * @param depth               the layer's position in the network (0 = first vertex), for plotting score against depth
 * @param dim                 the feature dimension
 * @param accuracy            mean accuracy over the folds
 * @param accuracySpread      standard deviation of the accuracy over the folds
 * @param balancedAccuracy    mean balanced accuracy (the mean of per-class recalls) over the folds
 * @param balancedSpread      standard deviation of the balanced accuracy over the folds
 * @param c                   the regularisation strength that scored best
 * @param seconds             the time the cross-validation of this candidate took
 * @param bytesOnDisk         the size of its feature store
 * @param sameAs              the earlier candidate with the same features, or null when the features are this
 *                            candidate's own
 */
public record ProbeRow(FeatureTarget target, int depth, int dim, double accuracy, double accuracySpread,
                       double balancedAccuracy, double balancedSpread, double c, double seconds, long bytesOnDisk,
                       FeatureTarget sameAs) {
    /**
     * Returns the row of a candidate whose features equal this row's.
     *
     * @param other       the candidate with the same features
     * @param otherDepth  its layer's position in the network
     * @param otherBytes  the size of its feature store
     * @return a row with this row's scores, no cross-validation time, and {@code sameAs} naming this row's target
     */
    public ProbeRow sameFeaturesAs(FeatureTarget other, int otherDepth, long otherBytes) {
        return new ProbeRow(other, otherDepth, dim, accuracy, accuracySpread, balancedAccuracy, balancedSpread, c, 0,
                otherBytes, target);
    }
}
