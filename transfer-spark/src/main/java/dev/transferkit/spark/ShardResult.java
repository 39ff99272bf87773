package dev.transferkit.spark;

import java.io.Serializable;

/**
 * What one successful task attempt reports to the driver: the temporary shard file it wrote for its partition.
 * Spark keeps exactly one successful result per partition, so only that attempt's file is committed.
 *
 * @param partition   the partition index, which names the committed shard ({@code part-00007.h5})
 * @param attemptFile the attempt's file name inside the job's temporary directory
 * @param rows        rows written
 * @param failures    inputs recorded as failures
 * @param bytes       the file size
 * @param sha256      the file's SHA-256
 * @param seconds     the task's wall time
 */
record ShardResult(int partition, String attemptFile, long rows, long failures, long bytes, String sha256, double seconds)
        implements Serializable {
    /** @return the committed shard's file name for this partition */
    String shardName() {
        return shardName(partition);
    }

    /**
     * Returns the committed shard name of a partition.
     *
     * @param partition the partition index
     * @return e.g. {@code part-00007.h5}
     */
    static String shardName(int partition) {
        return String.format(java.util.Locale.ROOT, "part-%05d.h5", partition);
    }
}
