package dev.transferkit.extract;

import dev.transferkit.core.Checks;
import dev.transferkit.core.MissingSettingException;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.StoreSpec;

import java.util.List;
import java.util.Objects;

/**
 * What defines a feature extraction: the base model, the layers and poolings computed ({@link FeatureTarget}s), the
 * batch size, the image-decoding threads, how images are decoded ({@link ImageOptions}), whether an unreadable image
 * stops the run, whether existing stores are replaced, and who hears of the progress. Immutable. One value serves
 * every way of extracting: {@link FeatureExtractor#of}, {@code SparkFeatureExtractor}, {@code LayerProbe} and
 * {@code TransferLearner} all take it.
 *
 * <pre>{@code
 * ExtractionSettings settings = ExtractionSettings.builder().setModel(model).optLayer("block_13_expand_relu")
 *         .optPooling(Pooling.AVG_MAX).optBatchSize(64).build();
 * FeatureStore store = FeatureExtractor.of(settings).extract(folder, "train", Path.of("train.h5"));
 * }</pre>
 */
public final class ExtractionSettings {
    /** The default number of images per forward pass. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final BaseModel model;
    private final List<FeatureTarget> targets;
    private final int batchSize;
    private final int threads;
    private final ImageOptions imageOptions;
    private final boolean failFast;
    private final boolean overwrite;
    private final ProgressListener listener;

    private ExtractionSettings(Builder b, List<FeatureTarget> targets) {
        this.model = b.model;
        this.targets = targets;
        this.batchSize = b.batchSize;
        this.threads = b.threads;
        this.imageOptions = b.imageOptions;
        this.failFast = b.failFast;
        this.overwrite = b.overwrite;
        this.listener = b.listener;
    }

    /**
     * Starts a builder: {@code setModel} is required, everything else has a default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a builder holding these settings, to derive other settings from them (e.g. another layer).
     *
     * @return a new builder with every value of these settings
     */
    public Builder toBuilder() {
        Builder b = new Builder().setModel(model).optBatchSize(batchSize).optThreads(threads).optImageOptions(imageOptions)
                .optFailFast(failFast).optOverwrite(overwrite).optListener(listener);
        return targets.size() == 1 ? b.optLayer(targets.get(0).layer()).optPooling(targets.get(0).pooling())
                : b.optTargets(targets);
    }

    /**
     * Returns the pretrained network the images run through.
     *
     * @return the base model
     */
    public BaseModel model() {
        return model;
    }

    /**
     * Returns the layers and poolings computed, each into its own store, all from one forward pass per batch.
     *
     * @return at least one target, none repeated
     */
    public List<FeatureTarget> targets() {
        return targets;
    }

    /**
     * Returns the only layer and pooling, for the ways of extracting that write one store.
     *
     * @param user what needs a single target, for the message, e.g. {@code "A TransferLearner"}
     * @return the single target
     * @throws IllegalArgumentException when these settings hold several targets
     */
    public FeatureTarget singleTarget(String user) {
        if (targets.size() != 1) {
            throw new IllegalArgumentException(user + " writes one layer and pooling, but the extraction settings hold "
                    + targets.size() + " targets " + targets + "; use optLayer and optPooling instead of optTargets.");
        }
        return targets.get(0);
    }

    /**
     * Returns the number of images per forward pass.
     *
     * @return at least 1
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Returns the number of image-decoding threads (on Spark: per task).
     *
     * @return at least 1
     */
    public int threads() {
        return threads;
    }

    /**
     * Returns how image files are decoded and resized.
     *
     * @return the image options
     */
    public ImageOptions imageOptions() {
        return imageOptions;
    }

    /**
     * Tells whether the first unreadable image stops the extraction instead of being recorded and skipped.
     *
     * @return whether to fail fast
     */
    public boolean failFast() {
        return failFast;
    }

    /**
     * Tells whether existing stores are replaced instead of resumed or reused.
     *
     * @return whether to overwrite
     */
    public boolean overwrite() {
        return overwrite;
    }

    /**
     * Returns who receives progress after every batch (single-machine extraction only).
     *
     * @return the listener, or null for none
     */
    public ProgressListener listener() {
        return listener;
    }

    /**
     * Describes the rows of one target as a store records them.
     *
     * @param target     one of {@link #targets()}
     * @param featureDim the length of its feature vectors
     * @param labelNames the class names the rows are labelled with
     * @return the store spec
     */
    public StoreSpec spec(FeatureTarget target, int featureDim, List<String> labelNames) {
        return StoreSpec.builder().setModel(model.name()).setLayer(target.layer()).setPooling(target.pooling())
                .setPreprocessing(model.preprocessing()).setInputSpec(model.inputSpec()).optImageOptions(imageOptions)
                .setFeatureDim(featureDim).setLabelNames(labelNames).build();
    }

    @Override
    public String toString() {
        String features = targets.size() == 1
                ? "layer=" + targets.get(0).layer() + ", pooling=" + targets.get(0).pooling() : "targets=" + targets;
        return "model=" + model.name() + ", " + features + ", batchSize=" + batchSize + ", threads=" + threads
                + ", images=" + imageOptions + ", failFast=" + failFast;
    }

    /** Builder for {@link ExtractionSettings}. */
    public static final class Builder {
        private BaseModel model;
        private String layer;
        private Pooling pooling = Pooling.AVG;
        private List<FeatureTarget> targets;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int threads = Runtime.getRuntime().availableProcessors();
        private ImageOptions imageOptions = ImageOptions.defaults();
        private boolean failFast;
        private boolean overwrite;
        private ProgressListener listener;

        private Builder() {
        }

        /**
         * Sets the pretrained network (required).
         *
         * @param model the base model
         * @return this builder
         */
        public Builder setModel(BaseModel model) {
            this.model = model;
            return this;
        }

        /**
         * Sets the layer whose activations become features (default: the model's recommended feature layer); replaces
         * what {@link #optTargets} set.
         *
         * @param layer a layer of the model
         * @return this builder
         */
        public Builder optLayer(String layer) {
            this.layer = layer;
            this.targets = null;
            return this;
        }

        /**
         * Sets how the layer's activations become a vector (default global average); replaces what {@link #optTargets}
         * set.
         *
         * @param pooling the pooling
         * @return this builder
         * @throws NullPointerException when the pooling is null
         */
        public Builder optPooling(Pooling pooling) {
            this.pooling = Objects.requireNonNull(pooling, "The pooling is null; use Pooling.AVG for global average pooling.");
            this.targets = null;
            return this;
        }

        /**
         * Computes several layers and poolings from one forward pass, into one store each
         * ({@link FeatureExtractor#extractAll}); replaces what {@link #optLayer} and {@link #optPooling} set.
         *
         * @param targets the layers and poolings, at least one, none repeated
         * @return this builder
         * @throws IllegalArgumentException when the list is empty or repeats a target
         */
        public Builder optTargets(List<FeatureTarget> targets) {
            if (targets.isEmpty() || targets.stream().distinct().count() != targets.size()) {
                throw new IllegalArgumentException("Feature targets must be at least one and distinct, but got " + targets + ".");
            }
            this.targets = List.copyOf(targets);
            this.layer = null;
            this.pooling = Pooling.AVG;
            return this;
        }

        /**
         * Sets the number of images per forward pass (default {@value ExtractionSettings#DEFAULT_BATCH_SIZE}).
         *
         * @param batchSize at least 1
         * @return this builder
         * @throws IllegalArgumentException when the batch size is below 1
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = Checks.atLeast("The batch size", batchSize, 1);
            return this;
        }

        /**
         * Sets the number of image-decoding threads (default: the number of cores; on Spark, per task).
         *
         * @param threads at least 1
         * @return this builder
         * @throws IllegalArgumentException when the count is below 1
         */
        public Builder optThreads(int threads) {
            this.threads = Checks.atLeast("The thread count", threads, 1);
            return this;
        }

        /**
         * Sets how images are decoded and resized (default {@link ImageOptions#defaults()}).
         *
         * @param imageOptions the options
         * @return this builder
         * @throws NullPointerException when the options are null
         */
        public Builder optImageOptions(ImageOptions imageOptions) {
            this.imageOptions = Objects.requireNonNull(imageOptions,
                    "The image options are null; use ImageOptions.defaults() for the defaults.");
            return this;
        }

        /**
         * Sets whether the first unreadable image stops the extraction (default false: it is recorded in the store
         * with the reason, and skipped).
         *
         * @param failFast true to stop
         * @return this builder
         */
        public Builder optFailFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /**
         * Sets whether existing stores are replaced (default false: an interrupted store is resumed and a complete
         * one reused).
         *
         * @param overwrite true to replace
         * @return this builder
         */
        public Builder optOverwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /**
         * Sets who receives progress after every batch of a single-machine extraction (default none).
         *
         * @param listener the listener, or null for none
         * @return this builder
         */
        public Builder optListener(ProgressListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Checks the settings against the model and builds them.
         *
         * @return the settings
         * @throws MissingSettingException when no model was set
         * @throws TransferKitException    naming a layer the model lacks, with the layers it has, or when no layer was
         *                                 set and the model declares no feature layer
         */
        public ExtractionSettings build() {
            MissingSettingException.require(model, "Extraction settings need a base model: call setModel.");
            List<FeatureTarget> resolved = targets != null ? targets
                    : List.of(new FeatureTarget(layer == null ? model.defaultFeatureLayer() : layer, pooling));
            resolved.forEach(t -> model.requireLayer(t.layer()));
            return new ExtractionSettings(this, resolved);
        }
    }
}
