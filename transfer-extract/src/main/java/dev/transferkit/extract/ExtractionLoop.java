package dev.transferkit.extract;

import dev.transferkit.engine.BatchMemory;
import dev.transferkit.image.BatchLoader;
import dev.transferkit.image.ImageBatch;
import dev.transferkit.image.ImageFailure;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.store.FeatureStoreWriter;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one batch loop of every extraction: decode images in parallel ({@link BatchLoader}), run each batch through the
 * network once ({@link FeaturePipeline#featuresAll}), append every target's rows to its store, record the images that
 * could not be decoded, with every native array of a batch in one workspace that the next batch reuses
 * ({@link BatchMemory}). {@link FeatureExtractor} feeds it the images a store still
 * lacks; each task of {@code SparkFeatureExtractor} feeds it the images of its partition, remote ones copied to local
 * files first. Either way an image becomes the same row, or the same recorded failure.
 *
 * <p>Images come in chunks: a chunk is decoded by one {@link BatchLoader} (several batches in flight), and its files
 * are read before the next chunk is requested, so a source may reuse the local files of a chunk for the next one.
 */
public final class ExtractionLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ExtractionLoop.class);

    private final FeaturePipeline pipeline;
    private final ExtractionSettings settings;
    private final ImagePipeline images;

    /**
     * One image to extract.
     *
     * @param key   the path its row or failure is recorded under in the stores
     * @param file  the local file to decode: the image itself, or a local copy of it
     * @param label its class name
     */
    public record Input(String key, Path file, String label) {
        /**
         * Checks that every part is given.
         *
         * @throws NullPointerException naming the part that is null
         */
        public Input {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(label, "label");
        }

        /**
         * Describes a local image file, recorded under its {@link ExtractionLoop#key key}.
         *
         * @param image the image file and its class
         * @return the input
         */
        public static Input of(LabeledImage image) {
            return new Input(ExtractionLoop.key(image.path()), image.path(), image.label());
        }

        /** @return whether the file is a local copy standing in for the image the key names */
        boolean isCopy() {
            return !key.equals(ExtractionLoop.key(file));
        }
    }

    /**
     * What one run did.
     *
     * @param rows     images decoded and run through the network
     * @param failures images that could not be decoded (recorded in the stores)
     */
    public record Result(long rows, long failures) {
    }

    /**
     * Creates the loop.
     *
     * @param pipeline the network and targets; {@code pipeline.targets()} must equal the settings' targets
     * @param settings the batch size, decoding threads, image options, fail-fast and progress listener
     * @throws IllegalArgumentException when the pipeline computes other targets than the settings name
     */
    public ExtractionLoop(FeaturePipeline pipeline, ExtractionSettings settings) {
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.settings = Objects.requireNonNull(settings, "settings");
        if (!pipeline.targets().equals(settings.targets())) {
            throw new IllegalArgumentException("The feature pipeline computes " + pipeline.targets()
                    + ", but the extraction settings name " + settings.targets() + ".");
        }
        this.images = pipeline.model().pipeline(settings.imageOptions());
    }

    /**
     * Returns the path an image file is recorded under in a store: absolute and normalised, so reruns recognise it.
     *
     * @param file an image file
     * @return its key
     */
    public static String key(Path file) {
        return file.toAbsolutePath().normalize().toString();
    }

    /**
     * Runs chunks of images into the stores' writers. A row or failure a writer already holds is not written to it
     * again (after an interruption, sibling stores may differ by a batch). The writers are neither marked complete nor
     * closed.
     *
     * @param chunks  the images, in order; a chunk's files are read before the next chunk is requested
     * @param encoder the classes; every input's label must be one of them
     * @param writers one writer per target of the pipeline, in its order; null for a target whose store is done
     * @param already images done by an earlier run, for the progress
     * @param total   images of the whole job, for the progress
     * @return what this run did
     * @throws dev.transferkit.image.ImageDecodeException with fail-fast, for the first image that cannot be decoded
     */
    public Result run(Iterator<List<Input>> chunks, LabelEncoder encoder, List<FeatureStoreWriter> writers, long already,
                      long total) {
        if (writers.size() != pipeline.targets().size()) {
            throw new IllegalArgumentException("The extraction of " + pipeline.targets() + " needs one writer per target,"
                    + " but got " + writers.size() + ".");
        }
        Instant start = Instant.now();
        long failedBefore = writers.stream().filter(Objects::nonNull).mapToLong(FeatureStoreWriter::failureCount).max().orElse(0);
        long rows = 0;
        long failed = 0;
        while (chunks.hasNext()) {
            List<Input> chunk = chunks.next();
            if (chunk.isEmpty()) {
                continue;
            }
            Map<Path, Input> byFile = new HashMap<>();
            chunk.forEach(in -> byFile.putIfAbsent(in.file(), in));
            try (BatchLoader loader = BatchLoader.builder()
                    .setImages(chunk.stream().map(in -> new LabeledImage(in.file(), in.label())).toList())
                    .setPipeline(images).setLabelEncoder(encoder).optBatchSize(settings.batchSize())
                    .optThreads(settings.threads()).optFailFast(settings.failFast()).build()) {
                while (loader.hasNext()) {
                    ImageBatch batch;
                    // Every array of the batch (input, activations, pooled rows, the writer's) comes from one
                    // workspace that the next batch reuses: blocks freed by close() stay with the C allocator.
                    try (MemoryWorkspace memory = BatchMemory.open()) {
                        batch = loader.next();
                        batch.failures().forEach(f -> recordFailure(f, byFile.get(f.path()), writers));
                        if (!batch.isEmpty()) {
                            append(batch, batch.paths().stream().map(p -> byFile.get(p).key()).toList(), writers);
                        }
                    }
                    rows += batch.size();
                    failed += batch.failures().size();
                    report(start, rows + failed, failedBefore + failed, already, total);
                }
            }
        }
        return new Result(rows, failed);
    }

    /** Records a failure in every store that lacks it, naming the image rather than its local copy. */
    private static void recordFailure(ImageFailure failure, Input input, List<FeatureStoreWriter> writers) {
        String reason = input.isCopy() ? failure.reason().replace(input.file().toString(), input.key()) : failure.reason();
        LOG.warn("Skipping {}: {}", input.isCopy() ? input.key() : failure.path(), reason);
        for (FeatureStoreWriter w : writers) {
            if (w != null && !w.contains(input.key())) {
                w.recordFailure(input.key(), reason);
            }
        }
    }

    /** Runs one batch through the network and appends each target's rows. */
    private void append(ImageBatch batch, List<String> keys, List<FeatureStoreWriter> writers) {
        List<INDArray> features = pipeline.featuresAll(batch.features());
        int[] labels = batch.labels();
        for (int i = 0; i < writers.size(); i++) {
            if (writers.get(i) != null) {
                appendMissing(writers.get(i), features.get(i), labels, keys);
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

    private void report(Instant start, long done, long failed, long already, long total) {
        ProgressListener listener = settings.listener();
        if (listener == null) {
            return;
        }
        double seconds = Math.max(1e-9, Duration.between(start, Instant.now()).toNanos() / 1e9);
        double rate = done / seconds;
        long left = total - already - done;
        listener.onProgress(new Progress(already + done, total, failed, rate,
                rate > 0 ? Duration.ofSeconds(Math.round(left / rate)) : Duration.ZERO));
    }

    @Override
    public String toString() {
        return "ExtractionLoop(" + settings + ")";
    }
}
