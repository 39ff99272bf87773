package dev.transferkit.finetune;

import java.util.Locale;

/**
 * The scores of one fine-tuning epoch.
 *
 * @param phase              1 (new head on the frozen base) or 2 (upper base layers unfrozen)
 * @param epoch              the epoch within its phase, 1-based
 * @param trainLoss          mean loss over the training batches
 * @param trainAccuracy      fraction of training images classified correctly (inference mode, before each step)
 * @param validationLoss     loss on the validation images, {@code NaN} without validation data
 * @param validationAccuracy accuracy on the validation images, {@code NaN} without validation data
 * @param seconds            wall-clock time of the epoch
 */
public record EpochStats(int phase, int epoch, double trainLoss, double trainAccuracy, double validationLoss,
                         double validationAccuracy, double seconds) {
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "phase %d epoch %d: loss %.4f acc %.3f | val loss %.4f acc %.3f (%.1fs)",
                phase, epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, seconds);
    }
}
