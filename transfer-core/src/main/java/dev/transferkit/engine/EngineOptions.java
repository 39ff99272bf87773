package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;

import java.util.Objects;

/**
 * How an {@link InferenceEngine} compiles and runs a network: the activation layout its native operations use, how
 * many threads ND4J's operations may use, and whether parts it cannot compile may run through DL4J instead.
 * Immutable; {@link #defaults()} suits most uses.
 */
public final class EngineOptions {
    /** System property that turns the engine off wherever TransferKit would use it automatically ({@code =false}). */
    public static final String ENABLED_PROPERTY = "transferkit.engine";

    private static final EngineOptions DEFAULTS = builder().build();

    private final DataFormat layout;
    private final int threads;
    private final boolean allowFallback;

    private EngineOptions(Builder b) {
        this.layout = b.layout;
        this.threads = b.threads;
        this.allowFallback = b.allowFallback;
    }

    /** @return NHWC activations, ND4J's thread count left as it is, fallback to DL4J allowed */
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

    /** @return the layout of 4-d activations inside the engine */
    public DataFormat layout() {
        return layout;
    }

    /** @return the number of threads for ND4J's operations, or 0 to leave ND4J's setting unchanged */
    public int threads() {
        return threads;
    }

    /** @return whether a vertex the engine cannot compile runs through DL4J (true) or makes compilation fail (false) */
    public boolean allowFallback() {
        return allowFallback;
    }

    @Override
    public String toString() {
        return "EngineOptions(layout=" + layout + ", threads=" + (threads == 0 ? "ND4J default" : threads)
                + ", allowFallback=" + allowFallback + ")";
    }

    /** Builder for {@link EngineOptions}. */
    public static final class Builder {
        private DataFormat layout = DataFormat.NHWC;
        private int threads;
        private boolean allowFallback = true;

        private Builder() {
        }

        /**
         * Sets the layout of 4-d activations inside the engine (default NHWC, the faster one for ND4J's oneDNN
         * convolutions on x86). Inputs and outputs keep the network's own layout either way.
         *
         * @param layout NHWC or NCHW
         * @return this builder
         */
        public Builder optLayout(DataFormat layout) {
            this.layout = Objects.requireNonNull(layout, "layout");
            return this;
        }

        /**
         * Sets how many threads ND4J's native operations use (process-wide, as ND4J has one setting).
         *
         * @param threads at least 1, or 0 to leave ND4J's current setting
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder optThreads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("The engine's thread count must be 0 (ND4J's default) or more, but was "
                        + threads + ".");
            }
            this.threads = threads;
            return this;
        }

        /**
         * Sets whether vertices the engine cannot compile run through DL4J's own implementation (default true).
         *
         * @param allowFallback false to make {@link InferenceEngine#compile} fail instead
         * @return this builder
         */
        public Builder optAllowFallback(boolean allowFallback) {
            this.allowFallback = allowFallback;
            return this;
        }

        /** @return the options */
        public EngineOptions build() {
            return new EngineOptions(this);
        }
    }
}
