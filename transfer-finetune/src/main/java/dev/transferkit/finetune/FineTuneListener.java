package dev.transferkit.finetune;

/**
 * Receives progress of a fine-tuning run. Called on the training thread; an exception thrown here ends the run (the
 * checkpoint of every finished epoch has already been written, so the run can be resumed).
 */
public interface FineTuneListener {
    /**
     * Called after each training batch.
     *
     * @param phase   1 or 2
     * @param epoch   the epoch within the phase, 1-based
     * @param batch   the batch within the epoch, 1-based
     * @param batches the number of batches of the epoch
     */
    default void onBatchEnd(int phase, int epoch, int batch, int batches) {
    }

    /**
     * Called after each epoch was scored and its checkpoint (if any) written.
     *
     * @param stats the epoch's scores
     */
    default void onEpochEnd(EpochStats stats) {
    }
}
