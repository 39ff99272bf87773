package dev.transferkit.engine;

import java.util.Objects;

/**
 * How an {@link InferenceEngine} runs a network in ONNX Runtime: threads, graph optimisation level, memory arena,
 * the CUDA execution provider, and whether parts that cannot be exported to ONNX may run through DL4J instead.
 * Immutable; {@link #defaults()} suits most uses, {@link #builder()} sets the rest.
 *
 * @param threads       threads ONNX Runtime uses within an operation; 0 for its default (one per physical core)
 * @param optimization  ONNX Runtime's graph optimisation level
 * @param arena         whether ONNX Runtime keeps freed memory in its arena for the next batch
 * @param allowFallback whether a vertex that cannot be exported runs through DL4J (true) or makes compilation fail
 * @param cudaDevice    the CUDA device the segments run on, or -1 for the CPU
 * @param spinWait      whether ONNX Runtime's idle threads spin waiting for the next operation instead of sleeping
 */
public record EngineOptions(int threads, Optimization optimization, boolean arena, boolean allowFallback, int cudaDevice,
                            boolean spinWait) {
    /** System property that turns the engine off wherever TransferKit would use it automatically ({@code =false}). */
    public static final String ENABLED_PROPERTY = "transferkit.engine";

    private static final EngineOptions DEFAULTS = builder().build();

    /** ONNX Runtime's graph optimisation levels. */
    public enum Optimization {
        /** No graph rewriting. */
        NONE,
        /** Constant folding and redundant-node removal. */
        BASIC,
        /** Also fusions such as convolution + batch normalisation + activation. */
        EXTENDED,
        /** Also layout optimisations (blocked NCHWc convolutions on x86): the fastest. */
        ALL
    }

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException when the thread count is negative or the CUDA device is below -1
     * @throws NullPointerException     when the optimisation level is null
     */
    public EngineOptions {
        checkThreads(threads);
        Objects.requireNonNull(optimization, "optimization");
        checkCudaDevice(cudaDevice);
    }

    private static int checkThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("The engine's thread count must be 0 (ONNX Runtime's default) or more, "
                    + "but was " + threads + ".");
        }
        return threads;
    }

    private static int checkCudaDevice(int device) {
        if (device < -1) {
            throw new IllegalArgumentException("The CUDA device must be -1 (CPU) or a device index, but was " + device + ".");
        }
        return device;
    }

    /**
     * @return ONNX Runtime's default thread count, all optimisations, the arena on, spin-waiting threads, fallback to
     *         DL4J allowed, CPU
     */
    public static EngineOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Starts a builder; every setting is optional.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Tells whether TransferKit should use the engine where it does so automatically: true unless the system property
     * {@value #ENABLED_PROPERTY} is {@code false}.
     *
     * @return whether automatic use is enabled
     */
    public static boolean enabledBySystemProperty() {
        return !"false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "true").trim());
    }

    @Override
    public String toString() {
        return "EngineOptions(threads=" + (threads == 0 ? "ONNX Runtime default" : threads) + ", optimization="
                + optimization + ", arena=" + arena + ", spinWait=" + spinWait + ", allowFallback=" + allowFallback
                + (cudaDevice >= 0 ? ", cuda=" + cudaDevice : "") + ")";
    }

    /** Builder for {@link EngineOptions}. */
    public static final class Builder {
        private int threads;
        private Optimization optimization = Optimization.ALL;
        private boolean arena = true;
        private boolean allowFallback = true;
        private int cudaDevice = -1;
        private boolean spinWait = true;

        private Builder() {
        }

        /**
         * Sets whether ONNX Runtime's threads spin between operations rather than sleep (default true, ONNX Runtime's
         * own default: measured here, sleeping made batch-1 inference 20-30 % slower and end-to-end extraction, where
         * image decoding shares the cores, no faster).
         *
         * @param spinWait true to spin
         * @return this builder
         */
        public Builder optSpinWait(boolean spinWait) {
            this.spinWait = spinWait;
            return this;
        }

        /**
         * Sets how many threads ONNX Runtime uses within an operation.
         *
         * @param threads at least 1, or 0 for ONNX Runtime's default (one per physical core)
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder optThreads(int threads) {
            this.threads = checkThreads(threads);
            return this;
        }

        /**
         * Sets ONNX Runtime's graph optimisation level (default {@link Optimization#ALL}).
         *
         * @param optimization the level
         * @return this builder
         */
        public Builder optOptimization(Optimization optimization) {
            this.optimization = Objects.requireNonNull(optimization, "optimization");
            return this;
        }

        /**
         * Sets whether ONNX Runtime's CPU memory arena keeps freed blocks for reuse (default true: faster; false returns
         * memory to the system after each batch).
         *
         * @param arena whether to use the arena
         * @return this builder
         */
        public Builder optArena(boolean arena) {
            this.arena = arena;
            return this;
        }

        /**
         * Sets whether vertices that cannot be exported to ONNX run through DL4J's own implementation (default true).
         *
         * @param allowFallback false to make {@link InferenceEngine#compile} fail instead
         * @return this builder
         */
        public Builder optAllowFallback(boolean allowFallback) {
            this.allowFallback = allowFallback;
            return this;
        }

        /**
         * Runs the network on a CUDA device through ONNX Runtime's CUDA execution provider. Needs the
         * {@code onnxruntime_gpu} build on the class path (Maven profile {@code cuda}) and an NVIDIA driver.
         *
         * @param device the device index, or -1 for the CPU (the default)
         * @return this builder
         * @throws IllegalArgumentException when below -1
         */
        public Builder optCudaDevice(int device) {
            this.cudaDevice = checkCudaDevice(device);
            return this;
        }

        /** @return the options */
        public EngineOptions build() {
            return new EngineOptions(threads, optimization, arena, allowFallback, cudaDevice, spinWait);
        }
    }
}
