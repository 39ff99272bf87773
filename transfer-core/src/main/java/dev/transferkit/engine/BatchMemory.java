package dev.transferkit.engine;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native memory for the arrays of one batch, reused by the next. An array's native buffer goes back to the C
 * allocator when it is closed or when the garbage collector finds the array (and a batch loop makes little heap
 * garbage), and glibc keeps blocks below its mmap threshold (up to 32 MB) rather than returning them: a long extraction
 * grew by one input batch per batch between collections (405 to 1,761 MB over 1,000 batches). Inside {@link #open()}, ND4J allocates from one per-thread workspace that the first batches size and every
 * later batch reuses, so resident memory stays flat.
 *
 * <p>Arrays allocated inside are valid until the scope closes; nothing that outlives the batch may be created there.
 * What is cached across batches (compiled engines, their parameters) is created outside any workspace
 * ({@link #outside()}).
 */
public final class BatchMemory {
    private static final String ID = "transferkit-batch";
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .build();

    private BatchMemory() {
    }

    /**
     * Opens the calling thread's batch workspace; close it when the batch is done.
     *
     * @return the open scope
     */
    public static MemoryWorkspace open() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, ID);
    }

    /**
     * Leaves every workspace until the scope closes, for arrays that must outlive a batch.
     *
     * @return the scope
     */
    public static MemoryWorkspace outside() {
        return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }
}
