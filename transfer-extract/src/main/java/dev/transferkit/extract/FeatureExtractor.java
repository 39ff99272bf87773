package dev.transferkit.extract;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.BatchLoader;
import dev.transferkit.image.ImageBatch;
import dev.transferkit.image.ImageFailure;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.store.StoreSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs images through a pretrained network to a chosen layer, pools the activations, and streams the vectors batch by
 * batch into an HDF5 {@link FeatureStore}. Memory stays flat whatever the number of images: only a few batches are in
 * flight (decoding is parallel and prefetched by a {@link BatchLoader}).
 *
 * <p>Extraction is resumable: run it again on the same store after a crash or a kill and it continues after the last
 * committed batch, skipping images already written or already recorded as unreadable, so no row is duplicated or
 * missing. A store is marked complete only after its last batch is committed. Images that cannot be decoded are
 * logged, recorded in the store with the reason, and skipped, unless {@link Builder#optFailFast} is set.
 */
public final class FeatureExtractor {
    private static final Logger LOG = LoggerFactory.getLogger(FeatureExtractor.class);

    private final FeaturePipeline pipeline;
    private final int batchSize;
    private final int threads;
    private final ImageOptions imageOptions;
    private final boolean failFast;
    private final boolean overwrite;
    private final ProgressListener listener;

    private FeatureExtractor(Builder b) {
        this.pipeline = new FeaturePipeline(b.model, b.targets != null ? b.targets
                : List.of(new FeatureTarget(b.layer == null ? b.model.defaultFeatureLayer() : b.layer, b.pooling)));
        this.batchSize = b.batchSize;
        this.threads = b.threads;
        this.imageOptions = b.imageOptions;
        this.failFast = b.failFast;
        this.overwrite = b.overwrite;
        this.listener = b.listener;
    }

    /** @return a builder; {@code setModel} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the network, layer and pooling this extractor uses */
    public FeaturePipeline pipeline() {
        return pipeline;
    }

    /**
     * Extracts one split of an image folder, labelled with the folder's label encoder (its training classes).
     *
     * @param folder the dataset
     * @param split  the split to extract, e.g. {@code "train"}
     * @param store  the HDF5 file to write or resume
     * @return the complete store, open for reading
     */
    public FeatureStore extract(ImageFolder folder, String split, Path store) {
        return extract(folder.images(split), folder.labelEncoder(), store);
    }

    /**
     * Extracts a list of labelled images, in list order.
     *
     * @param images  the images; every label must be known to {@code encoder}
     * @param encoder the class names and their indices
     * @param store   the HDF5 file to write or resume
     * @return the complete store, open for reading
     * @throws TransferKitException when the list is empty, a label is not in {@code encoder} (checked before the store is
     *                              touched), or (with fail-fast) an image cannot be decoded
     * @throws IllegalStateException when this extractor computes several layers or poolings (use {@link #extractAll})
     * @throws dev.transferkit.store.StoreMismatchException when the existing store was written with another model, layer or pooling
     */
    public FeatureStore extract(List<LabeledImage> images, LabelEncoder encoder, Path store) {
        if (pipeline.targets().size() != 1) {
            throw new IllegalStateException("This extractor computes " + pipeline.targets().size() + " kinds of features "
                    + pipeline.targets() + ", which go to one store each: call extractAll with a directory.");
        }
        return extractInto(images, encoder, List.of(store)).get(0);
    }

    /**
     * Extracts a list of labelled images into one store per layer and pooling ({@link FeatureTarget#storeFileName()}
     * in {@code directory}), computing them all from one forward pass per batch. Each store resumes on its own, so a
     * rerun after an interruption computes only the images some store still lacks.
     *
     * @param images    the images; every label must be known to {@code encoder}
     * @param encoder   the class names and their indices
     * @param directory where the stores go
     * @return the complete stores, open for reading, by target in {@link FeaturePipeline#targets()} order
     * @throws TransferKitException as {@link #extract(List, LabelEncoder, Path)}
     */
    public Map<FeatureTarget, FeatureStore> extractAll(List<LabeledImage> images, LabelEncoder encoder, Path directory) {
        List<FeatureTarget> targets = pipeline.targets();
        List<Path> stores = targets.stream().map(t -> directory.resolve(t.storeFileName())).toList();
        if (stores.stream().distinct().count() != stores.size()) {
            throw new IllegalArgumentException("The feature targets " + targets + " repeat a layer and pooling.");
        }
        List<FeatureStore> done = extractInto(images, encoder, stores);
        Map<FeatureTarget, FeatureStore> out = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            out.put(targets.get(i), done.get(i));
        }
        return out;
    }

    /** The one extraction loop: one store per target, all fed from one forward pass per batch. */
    private List<FeatureStore> extractInto(List<LabeledImage> images, LabelEncoder encoder, List<Path> stores) {
        if (images.isEmpty()) {
            throw new TransferKitException("There are no images to extract into " + String.join(", ",
                    stores.stream().map(Path::toString).toList()) + ".");
        }
        requireKnownLabels(images, encoder, stores);
        List<StoreSpec> specs = specs(encoder);
        List<FeatureStoreWriter> writers = new ArrayList<>();
        try {
            for (int i = 0; i < stores.size(); i++) {
                writers.add(isCompleteAlready(stores.get(i), specs.get(i)) ? null : open(stores.get(i), specs.get(i), images.size()));
            }
            List<Set<String>> failed = writers.stream().map(w -> w == null ? Set.<String>of() : w.failedPaths()).toList();
            List<LabeledImage> todo = new ArrayList<>();
            for (LabeledImage image : images) {
                String key = key(image.path());
                for (int i = 0; i < writers.size(); i++) {
                    if (writers.get(i) != null && !writers.get(i).contains(key) && !failed.get(i).contains(key)) {
                        todo.add(image);
                        break;
                    }
                }
            }
            long already = images.size() - todo.size();
            if (writers.stream().anyMatch(w -> w != null && w.isResumed())) {
                LOG.info("Resuming {}: {} of {} images already done.", stores, already, images.size());
            }
            run(todo, encoder, writers, already, images.size());
            for (FeatureStoreWriter w : writers) {
                if (w != null) {
                    w.markComplete();
                }
            }
        } finally {
            closeAll(writers);
        }
        return stores.stream().map(FeatureStore::open).toList();
    }

    /** Tells whether a store exists and is complete (checking that it holds these features), unless overwriting. */
    private boolean isCompleteAlready(Path store, StoreSpec spec) {
        if (overwrite || !Files.exists(store)) {
            return false;
        }
        try (FeatureStore existing = FeatureStore.openIncomplete(store)) {
            existing.requireCompatible(spec);
            if (existing.isComplete()) {
                LOG.info("The feature store {} is already complete ({} rows); nothing to extract.", store, existing.rows());
                return true;
            }
            return false;
        }
    }

    private FeatureStoreWriter open(Path store, StoreSpec spec, long expectedRows) {
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("extractor", toString());
        provenance.put("model", pipeline.model().name());
        provenance.putAll(prefixed("model.", pipeline.model().provenance()));
        return FeatureStoreWriter.builder().setPath(store).setSpec(spec).optExpectedRows(expectedRows)
                .optIfExists(overwrite ? FeatureStoreWriter.IfExists.OVERWRITE : FeatureStoreWriter.IfExists.RESUME)
                .optProvenance(provenance).build();
    }

    /** Closes every writer, keeping the first failure and adding later ones to it. */
    private static void closeAll(List<FeatureStoreWriter> writers) {
        RuntimeException first = null;
        for (FeatureStoreWriter w : writers) {
            try {
                if (w != null) {
                    w.close();
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Refuses unknown labels before any store is created, so a rerun does not find a half-made store. */
    private static void requireKnownLabels(List<LabeledImage> images, LabelEncoder encoder, List<Path> stores) {
        for (LabeledImage image : images) {
            if (!encoder.contains(image.label())) {
                throw new TransferKitException("The image " + image.path() + " has the label '" + image.label()
                        + "', which is not one of the " + encoder.size() + " classes " + encoder.toList()
                        + " the features are labelled with (for an ImageFolder: the class folders of its training split);"
                        + " nothing was written to " + String.join(", ", stores.stream().map(Path::toString).toList())
                        + ". Remove or rename that class folder, or add it to the"
                        + " training split.");
            }
        }
    }

    private void run(List<LabeledImage> todo, LabelEncoder encoder, List<FeatureStoreWriter> writers, long already,
                     long total) {
        if (todo.isEmpty()) {
            return;
        }
        Instant start = Instant.now();
        long done = 0;
        long failed = writers.stream().filter(Objects::nonNull).mapToLong(FeatureStoreWriter::failureCount).max().orElse(0);
        try (BatchLoader loader = BatchLoader.builder().setImages(todo).setPipeline(pipeline.model().pipeline(imageOptions))
                .setLabelEncoder(encoder).optBatchSize(batchSize).optThreads(threads).optFailFast(failFast).build()) {
            while (loader.hasNext()) {
                ImageBatch batch = loader.next();
                for (ImageFailure f : batch.failures()) {
                    LOG.warn("Skipping {}: {}", f.path(), f.reason());
                    String key = key(f.path());
                    for (FeatureStoreWriter w : writers) {
                        if (w != null && !w.contains(key)) {
                            w.recordFailure(key, f.reason());
                        }
                    }
                }
                if (!batch.isEmpty()) {
                    List<INDArray> features = pipeline.featuresAll(batch.features());
                    List<String> paths = batch.paths().stream().map(FeatureExtractor::key).toList();
                    for (int i = 0; i < writers.size(); i++) {
                        if (writers.get(i) != null) {
                            appendMissing(writers.get(i), features.get(i), batch.labels(), paths);
                        }
                        // Written: free the native memory now rather than at the next garbage collection.
                        closeIfPossible(features.get(i));
                    }
                    if (!features.contains(batch.features())) {
                        closeIfPossible(batch.features());
                    }
                }
                done += batch.size() + batch.failures().size();
                failed += batch.failures().size();
                if (listener != null) {
                    double seconds = Math.max(1e-9, Duration.between(start, Instant.now()).toNanos() / 1e9);
                    double rate = done / seconds;
                    long left = todo.size() - done;
                    listener.onProgress(new Progress(already + done, total, failed, rate,
                            rate > 0 ? Duration.ofSeconds(Math.round(left / rate)) : Duration.ZERO));
                }
            }
        }
    }

    /** Appends the rows a store does not hold yet (after an interruption, sibling stores may differ by a batch). */
    private static void appendMissing(FeatureStoreWriter writer, INDArray features, int[] labels, List<String> paths) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 0; r < paths.size(); r++) {
            if (!writer.contains(paths.get(r))) {
                missing.add(r);
            }
        }
        if (missing.size() == paths.size()) {
            writer.append(features, labels, paths);
        } else if (!missing.isEmpty()) {
            int[] rows = missing.stream().mapToInt(Integer::intValue).toArray();
            writer.append(features.getRows(rows), missing.stream().mapToInt(r -> labels[r]).toArray(),
                    missing.stream().map(paths::get).toList());
        }
    }

    private static void closeIfPossible(INDArray array) {
        if (array.closeable()) {
            array.close();
        }
    }

    /** The path recorded in the store for an image: absolute and normalised, so reruns recognise it. */
    private static String key(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static Map<String, String> prefixed(String prefix, Map<String, String> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    /**
     * Describes the rows this extractor writes; computing the feature dimension runs one blank image through the network.
     *
     * @param encoder the class names
     * @return the store spec of the (first) layer and pooling
     */
    public StoreSpec spec(LabelEncoder encoder) {
        return specs(encoder).get(0);
    }

    /**
     * Describes the rows of every layer and pooling this extractor computes, from one blank image's forward pass.
     *
     * @param encoder the class names
     * @return one store spec per target, in {@link FeaturePipeline#targets()} order
     */
    public List<StoreSpec> specs(LabelEncoder encoder) {
        INDArray blank = Nd4j.zeros(DataType.FLOAT, pipeline.model().inputSpec().batchShape(1));
        List<INDArray> features = pipeline.featuresAll(blank);
        List<StoreSpec> specs = new ArrayList<>();
        for (int i = 0; i < features.size(); i++) {
            FeatureTarget t = pipeline.targets().get(i);
            specs.add(StoreSpec.builder()
                    .setModel(pipeline.model().name())
                    .setLayer(t.layer())
                    .setPooling(t.pooling())
                    .setPreprocessing(pipeline.model().preprocessing())
                    .setInputSpec(pipeline.model().inputSpec())
                    .optImageOptions(imageOptions)
                    .setFeatureDim((int) features.get(i).columns())
                    .setLabelNames(encoder.toList())
                    .build());
        }
        return specs;
    }

    @Override
    public String toString() {
        String features = pipeline.targets().size() == 1 ? "layer=" + pipeline.layer() + ", pooling=" + pipeline.pooling()
                : "targets=" + pipeline.targets();
        return "FeatureExtractor(model=" + pipeline.model().name() + ", " + features + ", batchSize=" + batchSize + ", threads=" + threads + ", images=" + imageOptions + ", failFast=" + failFast + ")";
    }

    /** Builder for {@link FeatureExtractor}. */
    public static final class Builder {
        private BaseModel model;
        private String layer;
        private Pooling pooling = Pooling.AVG;
        private int batchSize = 32;
        private int threads = Runtime.getRuntime().availableProcessors();
        private ImageOptions imageOptions = ImageOptions.defaults();
        private boolean failFast;
        private boolean overwrite;
        private ProgressListener listener;
        private List<FeatureTarget> targets;

        private Builder() {
        }

        /**
         * Computes several layers and poolings from one forward pass, into one store each ({@link #extractAll});
         * replaces {@link #optLayer} and {@link #optPooling}.
         *
         * @param targets the layers and poolings, at least one, none repeated
         * @return this builder
         */
        public Builder optTargets(List<FeatureTarget> targets) {
            if (targets.isEmpty() || targets.stream().distinct().count() != targets.size()) {
                throw new IllegalArgumentException("Feature targets must be at least one and distinct, but got " + targets + ".");
            }
            this.targets = List.copyOf(targets);
            return this;
        }

        /** @param model the pretrained network @return this builder */
        public Builder setModel(BaseModel model) {
            this.model = model;
            return this;
        }

        /** @param layer the layer whose activations to take (default: the model's recommended feature layer) @return this builder */
        public Builder optLayer(String layer) {
            this.layer = layer;
            return this;
        }

        /** @param pooling how activations become vectors (default global average) @return this builder */
        public Builder optPooling(Pooling pooling) {
            this.pooling = Objects.requireNonNull(pooling, "pooling");
            return this;
        }

        /** @param batchSize images per forward pass (default 32) @return this builder */
        public Builder optBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("The batch size must be at least 1, but was " + batchSize + ".");
            }
            this.batchSize = batchSize;
            return this;
        }

        /** @param threads image-decoding threads (default: the number of cores) @return this builder */
        public Builder optThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("The thread count must be at least 1, but was " + threads + ".");
            }
            this.threads = threads;
            return this;
        }

        /** @param imageOptions decoding and resizing options @return this builder */
        public Builder optImageOptions(ImageOptions imageOptions) {
            this.imageOptions = Objects.requireNonNull(imageOptions, "imageOptions");
            return this;
        }

        /** @param failFast stop at the first unreadable image instead of recording and skipping it @return this builder */
        public Builder optFailFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /** @param overwrite replace an existing store instead of resuming or reusing it @return this builder */
        public Builder optOverwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /** @param listener receives progress after every batch @return this builder */
        public Builder optListener(ProgressListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * @return the extractor
         * @throws MissingSettingException when no model was set
         * @throws TransferKitException  when the layer is not in the model
         */
        public FeatureExtractor build() {
            if (model == null) {
                throw new MissingSettingException("A FeatureExtractor needs a model: call setModel.");
            }
            return new FeatureExtractor(this);
        }
    }
}
