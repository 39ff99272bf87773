package dev.transferkit.probe;

import dev.transferkit.extract.FeatureTarget;

/**
 * What the probe measured for one layer and pooling: k-fold cross-validated scores of the linear head at its best C.
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
 */
public record ProbeRow(FeatureTarget target, int depth, int dim, double accuracy, double accuracySpread,
                       double balancedAccuracy, double balancedSpread, double c, double seconds, long bytesOnDisk) {
}
