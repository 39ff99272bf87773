package dev.transferkit.head;

import java.util.Locale;

/**
 * What one training epoch achieved.
 *
 * @param epoch              the epoch number, from 1
 * @param trainLoss          mean training loss over the epoch's mini-batches
 * @param validationLoss     mean validation loss after the epoch ({@code NaN} without validation data)
 * @param validationAccuracy validation accuracy after the epoch ({@code NaN} without validation data)
 * @param seconds            wall-clock seconds the epoch took
 */
public record EpochResult(int epoch, double trainLoss, double validationLoss, double validationAccuracy, double seconds) {
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "epoch %d: train loss %.4f, validation loss %.4f, validation accuracy %.4f (%.1f s)",
                epoch, trainLoss, validationLoss, validationAccuracy, seconds);
    }
}
