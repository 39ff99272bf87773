package dev.transferkit;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.ProgressListener;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.Head;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.Pooling;

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
 * TransferLearner learner = TransferLearner.builder().setBaseModel(NsfwjsSource.mobileNetV2().load())
 *         .setWorkDir(Path.of("work")).build();
 * TransferModel model = learner.fit(ImageFolder.open(Path.of("dataset")), "train");
 * System.out.println(learner.evaluate(model, ImageFolder.open(Path.of("dataset")), "test"));
 * }</pre>
 * Stores are written to {@code <workDir>/<split>.h5}; rerunning resumes or reuses them.
 */
public final class TransferLearner {
    private final FeatureExtractor extractor;
    private final Function<FeatureStore, Head> headTrainer;
    private final String headDescription;
    private final Path workDir;

    private TransferLearner(Builder b) {
        FeatureExtractor.Builder fx = FeatureExtractor.builder().setModel(b.model).optPooling(b.pooling).optBatchSize(b.batchSize);
        if (b.layer != null) {
            fx.optLayer(b.layer);
        }
        if (b.listener != null) {
            fx.optListener(b.listener);
        }
        this.extractor = fx.build();
        LinearHeadTrainer defaultHead = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{0.01, 0.1, 1, 10}, 5).optClassWeights(ClassWeights.balanced()).build();
        this.headTrainer = b.headTrainer != null ? b.headTrainer : store -> defaultHead.fit(store.loadAll());
        this.headDescription = b.headTrainer != null ? "custom" : defaultHead.toString();
        this.workDir = b.workDir;
    }

    /** @return a builder; {@code setBaseModel} and {@code setWorkDir} are required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the feature extractor this learner uses */
    public FeatureExtractor extractor() {
        return extractor;
    }

    /**
     * Extracts (or resumes, or reuses) the features of one split and opens the store.
     *
     * @param data  the dataset
     * @param split the split
     * @return the complete store; the caller closes it
     */
    public FeatureStore features(ImageFolder data, String split) {
        return extractor.extract(data, split, workDir.resolve(split + ".h5"));
    }

    /**
     * Trains a predictor on one split.
     *
     * @param data  the dataset
     * @param split the training split, e.g. {@code "train"}
     * @return the predictor (save it with {@link TransferModel#save})
     */
    public TransferModel fit(ImageFolder data, String split) {
        try (FeatureStore store = features(data, split)) {
            Head head = headTrainer.apply(store);
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("trainer", toString());
            provenance.put("trainData", data.root().resolve(split).toString());
            provenance.put("trainRows", Long.toString(store.rows()));
            provenance.put("trainFailures", Integer.toString(store.failures().size()));
            provenance.put("created", java.time.Instant.now().toString());
            return TransferModel.of(extractor.pipeline(), head, store.spec().imageOptions(), provenance);
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
        return "TransferLearner(" + extractor + ", head=" + headDescription + ", workDir=" + workDir + ")";
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

        /** @param layer feature layer (default: the model's recommended one) @return this builder */
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
