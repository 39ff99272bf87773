package dev.transferkit;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.probe.LayerProbe;
import dev.transferkit.probe.ProbeResult;
import dev.transferkit.extract.ProgressListener;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.Head;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one-call path for transfer learning by feature extraction: images → pooled activations of a pretrained network
 * in HDF5 stores → a linear head → a saved predictor. Each step stays reachable on its own ({@link FeatureExtractor},
 * {@link LinearHeadTrainer}, {@link dev.transferkit.head.MlpHeadTrainer}, {@link TransferModel}).
 *
 * <pre>{@code
 * TransferLearner learner = TransferLearner.builder().setBaseModel(NsfwjsSource.mobileNetV2().load())
 *         .setWorkDir(Path.of("work")).build();
 * TransferModel model = learner.fit(ImageFolder.open(Path.of("dataset")), "train");
 * System.out.println(learner.evaluate(model, ImageFolder.open(Path.of("dataset")), "test"));
 * }</pre>
 * Stores are written to {@code <workDir>/<split>.h5}; rerunning resumes or reuses them.
 */
public final class TransferLearner {
    private final BaseModel model;
    private final String layer;
    private final Pooling pooling;
    private final int batchSize;
    private final ProgressListener listener;
    private final Function<FeatureStore, Head> headTrainer;
    private final String headDescription;
    private final Path workDir;
    /** The extractor of the fixed layer, or of the layer a probe chose; null while {@code AUTO} is unresolved. */
    private volatile FeatureExtractor extractor;
    private volatile ProbeResult probe;

    private TransferLearner(Builder b) {
        this.model = b.model;
        this.layer = b.layer;
        this.pooling = b.pooling;
        this.batchSize = b.batchSize;
        this.listener = b.listener;
        this.extractor = LayerProbe.AUTO.equals(b.layer) ? null : extractorFor(b.layer == null ? b.model.defaultFeatureLayer() : b.layer);
        LinearHeadTrainer defaultHead = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{0.01, 0.1, 1, 10}, 5).optClassWeights(ClassWeights.balanced()).build();
        this.headTrainer = b.headTrainer != null ? b.headTrainer : store -> defaultHead.fit(store.loadAll());
        this.headDescription = b.headTrainer != null ? "custom" : defaultHead.toString();
        this.workDir = b.workDir;
    }

    private FeatureExtractor extractorFor(String chosen) {
        FeatureExtractor.Builder fx = FeatureExtractor.builder().setModel(model).optLayer(chosen)
                .optPooling(pooling).optBatchSize(batchSize);
        if (listener != null) {
            fx.optListener(listener);
        }
        return fx.build();
    }

    /** @return a builder; {@code setBaseModel} and {@code setWorkDir} are required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the feature extractor this learner uses.
     *
     * @return the extractor of the configured layer, or of the layer the probe chose
     * @throws IllegalStateException when the layer is {@link LayerProbe#AUTO} and {@link #fit} has not chosen it yet
     */
    public FeatureExtractor extractor() {
        FeatureExtractor fx = extractor;
        if (fx == null) {
            throw new IllegalStateException("The feature layer is chosen by a probe when fit runs; call fit first.");
        }
        return fx;
    }

    /** @return the probe that chose the layer, when the layer is {@link LayerProbe#AUTO} and {@link #fit} ran */
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
        String file = LayerProbe.AUTO.equals(layer)
                ? split + "-" + new FeatureTarget(fx.pipeline().layer(), fx.pipeline().pooling()).storeFileName() : split + ".h5";
        return fx.extract(data, split, workDir.resolve(file));
    }

    /**
     * Trains a predictor on one split. With the layer {@link LayerProbe#AUTO}, a {@link LayerProbe} of the model's
     * feature layers on this split chooses it first (its stores go to {@code <workDir>/probe-<split>}, and the
     * winner's store trains the head); the probe's table is recorded in the predictor's provenance.
     *
     * @param data  the dataset
     * @param split the training split, e.g. {@code "train"}
     * @return the predictor (save it with {@link TransferModel#save})
     */
    public TransferModel fit(ImageFolder data, String split) {
        Map<String, String> provenance = new LinkedHashMap<>();
        FeatureStore train;
        if (LayerProbe.AUTO.equals(layer)) {
            LayerProbe.Builder pb = LayerProbe.builder().setModel(model).optPoolings(List.of(pooling))
                    .optBatchSize(batchSize);
            if (listener != null) {
                pb.optListener(listener);
            }
            Path probeDir = workDir.resolve("probe-" + split);
            ProbeResult result = pb.build().probe(data, split, probeDir);
            probe = result;
            extractor = extractorFor(result.choice().layer());
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
        return "TransferLearner(" + (extractor != null ? extractor : "layer chosen by a probe of " + model.name())
                + ", head=" + headDescription + ", workDir=" + workDir + ")";
    }

    /** Builder for {@link TransferLearner}. */
    public static final class Builder {
        private BaseModel model;
        private Path workDir;
        private String layer;
        private Pooling pooling = Pooling.AVG;
        private int batchSize = 32;
        private Function<FeatureStore, Head> headTrainer;
        private ProgressListener listener;

        private Builder() {
        }

        /** @param model the pretrained network @return this builder */
        public Builder setBaseModel(BaseModel model) {
            this.model = model;
            return this;
        }

        /** @param workDir where the feature stores go @return this builder */
        public Builder setWorkDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        /**
         * @param layer feature layer (default: the model's recommended one), or {@link LayerProbe#AUTO} to let a probe
         *              of the model's feature layers choose it
         * @return this builder
         */
        public Builder optLayer(String layer) {
            this.layer = layer;
            return this;
        }

        /** @param pooling pooling of the layer's activations (default global average) @return this builder */
        public Builder optPooling(Pooling pooling) {
            this.pooling = Objects.requireNonNull(pooling, "pooling");
            return this;
        }

        /** @param batchSize images per forward pass (default 32) @return this builder */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param headTrainer trains a head from the training store (default: logistic regression, C chosen by 5-fold
         *                    cross-validation from 0.01, 0.1, 1, 10, balanced class weights); e.g.
         *                    {@code store -> LinearHeadTrainer.builder()...build().fit(store.loadAll())} or an MLP trained
         *                    from a {@code StoreDataSetIterator} for stores larger than memory
         * @return this builder
         */
        public Builder optHeadTrainer(Function<FeatureStore, Head> headTrainer) {
            this.headTrainer = Objects.requireNonNull(headTrainer, "headTrainer");
            return this;
        }

        /** @param listener receives extraction progress @return this builder */
        public Builder optListener(ProgressListener listener) {
            this.listener = listener;
            return this;
        }

        /** @return the learner @throws IllegalStateException when a required value is missing */
        public TransferLearner build() {
            if (model == null) {
                throw new MissingSettingException("A TransferLearner needs a base model: call setBaseModel.");
            }
            if (workDir == null) {
                throw new MissingSettingException("A TransferLearner needs a work directory for its feature stores: call setWorkDir.");
            }
            return new TransferLearner(this);
        }
    }
}
