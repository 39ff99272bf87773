package dev.transferkit.extract;

/** Receives progress of a long job, after every batch. Called from the job's thread; keep it quick. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param progress the job's state after a batch
     */
    void onProgress(Progress progress);
}
