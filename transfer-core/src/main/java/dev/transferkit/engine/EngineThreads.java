package dev.transferkit.engine;

import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets how many threads ND4J's native operations use. ND4J has one process-wide setting (its environment's maximum
 * threads, which bounds the OpenMP threads of its operations, and its master threads); the environment variable
 * {@code OMP_NUM_THREADS} sets the starting value.
 */
final class EngineThreads {
    private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);

    private EngineThreads() {
    }

    /**
     * Applies a thread count.
     *
     * @param threads at least 1; 0 leaves ND4J's setting unchanged
     */
    static void apply(int threads) {
        if (threads <= 0) {
            return;
        }
        org.nd4j.linalg.factory.Environment env = Nd4j.getEnvironment();
        if (env.maxThreads() != threads || env.maxMasterThreads() != threads) {
            env.setMaxThreads(threads);
            env.setMaxMasterThreads(threads);
            LOG.info("ND4J native operations now use up to {} threads.", threads);
        }
    }

    /** @return ND4J's current maximum thread count */
    static int current() {
        return Nd4j.getEnvironment().maxThreads();
    }
}
