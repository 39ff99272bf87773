package dev.transferkit;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.probe.LayerProbe;
import dev.transferkit.probe.ProbeResult;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.Head;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one-call path for transfer learning by feature extraction: images → pooled activations of a pretrained network
 * in HDF5 stores → a linear head → a saved predictor. Each step stays reachable on its own ({@link FeatureExtractor},
 * {@link LinearHeadTrainer}, {@link dev.transferkit.head.MlpHeadTrainer}, {@link TransferModel}).
 *
 * <pre>{@code
 * TransferLearner learner = TransferLearner.builder()
 *         .setExtraction(ExtractionSettings.builder().setModel(NsfwjsSource.mobileNetV2().load()).build())
 *         .setWorkDir(Path.of("work")).build();
 * TransferModel model = learner.fit(ImageFolder.open(Path.of("dataset")), "train");
 * System.out.println(learner.evaluate(model, ImageFolder.open(Path.of("dataset")), "test"));
 * }</pre>
 * Stores are written to {@code <workDir>/<split>.h5}; rerunning resumes or reuses them.
 */
public final class TransferLearner {
    private final ExtractionSettings settings;
    private final boolean probeLayers;
    private final Function<FeatureStore, Head> headTrainer;
    private final String headDescription;
    private final Path workDir;
    /** The extractor of the fixed layer, or of the layer a probe chose; null while the probe has not run. */
    private volatile FeatureExtractor extractor;
    private volatile ProbeResult probe;

    private TransferLearner(Builder b) {
        this.settings = b.settings;
        settings.singleTarget("A TransferLearner");
        this.probeLayers = b.probeLayers;
        this.extractor = probeLayers ? null : FeatureExtractor.of(settings);
        LinearHeadTrainer defaultHead = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{0.01, 0.1, 1, 10}, 5).optClassWeights(ClassWeights.balanced()).build();
        this.headTrainer = b.headTrainer != null ? b.headTrainer : store -> defaultHead.fit(store.loadAll());
        this.headDescription = b.headTrainer != null ? "custom" : defaultHead.toString();
        this.workDir = b.workDir;
    }

    /** @return a builder; {@code setExtraction} and {@code setWorkDir} are required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the feature extractor this learner uses.
     *
     * @return the extractor of the configured layer, or of the layer the probe chose
     * @throws IllegalStateException when a probe chooses the layer and {@link #fit} has not run it yet
     */
    public FeatureExtractor extractor() {
        FeatureExtractor fx = extractor;
        if (fx == null) {
            throw new IllegalStateException("The feature layer is chosen by a probe when fit runs; call fit first.");
        }
        return fx;
    }

    /** @return the probe that chose the layer, when a probe chooses it and {@link #fit} ran */
    public java.util.Optional<ProbeResult> probe() {
        return java.util.Optional.ofNullable(probe);
    }

    /**
     * Extracts (or resumes, or reuses) the features of one split and opens the store.
     *
     * @param data  the dataset
     * @param split the split
     * @return the complete store; the caller closes it
     * @throws IllegalStateException as {@link #extractor()}
     */
    public FeatureStore features(ImageFolder data, String split) {
        FeatureExtractor fx = extractor();
        String file = probeLayers
                ? split + "-" + new FeatureTarget(fx.pipeline().layer(), fx.pipeline().pooling()).storeFileName() : split + ".h5";
        return fx.extract(data, split, workDir.resolve(file));
    }

    /**
     * Trains a predictor on one split. With {@link Builder#optProbeLayers}, a {@link LayerProbe} of the model's
     * feature layers on this split chooses the layer first (its stores go to {@code <workDir>/probe-<split>}, and the
     * winner's store trains the head); the probe's table is recorded in the predictor's provenance.
     *
     * @param data  the dataset
     * @param split the training split, e.g. {@code "train"}
     * @return the predictor (save it with {@link TransferModel#save})
     */
    public TransferModel fit(ImageFolder data, String split) {
        Map<String, String> provenance = new LinkedHashMap<>();
        FeatureStore train;
        if (probeLayers) {
            Path probeDir = workDir.resolve("probe-" + split);
            ProbeResult result = LayerProbe.builder().setExtraction(settings).build().probe(data, split, probeDir);
            probe = result;
            extractor = FeatureExtractor.of(settings.toBuilder().optLayer(result.choice().layer()).build());
            provenance.putAll(result.toProvenance());
            train = FeatureStore.open(probeDir.resolve(result.choice().storeFileName()));
        } else {
            train = features(data, split);
        }
        try (FeatureStore store = train) {
            Head head = headTrainer.apply(store);
            provenance.put("trainer", toString());
            provenance.put("trainData", data.root().resolve(split).toString());
            provenance.put("trainRows", Long.toString(store.rows()));
            provenance.put("trainFailures", Integer.toString(store.failures().size()));
            provenance.put("created", java.time.Instant.now().toString());
            return TransferModel.of(extractor().pipeline(), head, store.spec().imageOptions(), provenance);
        }
    }

    /**
     * Evaluates a predictor on a split, extracting its features first (or reusing them).
     *
     * @param model the predictor
     * @param data  the dataset
     * @param split the split to evaluate, e.g. {@code "test"}
     * @return the classification report
     */
    public ClassificationReport evaluate(TransferModel model, ImageFolder data, String split) {
        try (FeatureStore store = features(data, split)) {
            return model.evaluate(store);
        }
    }

    @Override
    public String toString() {
        return "TransferLearner(" + (extractor != null ? extractor : "layer chosen by a probe of " + settings.model().name())
                + ", head=" + headDescription + ", workDir=" + workDir + ")";
    }

    /** Builder for {@link TransferLearner}. */
    public static final class Builder {
        private ExtractionSettings settings;
        private Path workDir;
        private boolean probeLayers;
        private Function<FeatureStore, Head> headTrainer;

        private Builder() {
        }

        /**
         * Sets how features are extracted: the base model, one layer and pooling, batch size, threads, image options,
         * fail-fast, overwrite and progress listener (required).
         *
         * @param settings the extraction settings, with one target
         * @return this builder
         */
        public Builder setExtraction(ExtractionSettings settings) {
            this.settings = settings;
            return this;
        }

        /**
         * Sets where the feature stores go (required).
         *
         * @param workDir the directory
         * @return this builder
         */
        public Builder setWorkDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        /**
         * Lets a {@link LayerProbe} of the model's feature layers (with the settings' pooling) choose the layer on the
         * training split in {@link #fit}, instead of the settings' layer (default false).
         *
         * @param probeLayers true to probe
         * @return this builder
         */
        public Builder optProbeLayers(boolean probeLayers) {
            this.probeLayers = probeLayers;
            return this;
        }

        /**
         * Sets how the head is trained (default: logistic regression, C chosen by 5-fold cross-validation from 0.01,
         * 0.1, 1, 10, balanced class weights).
         *
         * @param headTrainer trains a head from the training store, e.g.
         *                    {@code store -> LinearHeadTrainer.builder()...build().fit(store.loadAll())} or an MLP trained
         *                    from a {@code StoreDataSetIterator} for stores larger than memory
         * @return this builder
         */
        public Builder optHeadTrainer(Function<FeatureStore, Head> headTrainer) {
            this.headTrainer = Objects.requireNonNull(headTrainer, "headTrainer");
            return this;
        }

        /**
         * Builds the learner.
         *
         * @return the learner
         * @throws MissingSettingException  when the extraction settings or the work directory are missing
         * @throws IllegalArgumentException when the settings hold several layers or poolings
         */
        public TransferLearner build() {
            MissingSettingException.require(settings, "A TransferLearner needs extraction settings: call setExtraction.");
            MissingSettingException.require(workDir,
                    "A TransferLearner needs a work directory for its feature stores: call setWorkDir.");
            return new TransferLearner(this);
        }
    }
}
