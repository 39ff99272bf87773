package dev.transferkit.image;

import dev.transferkit.core.Checks;
import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.BatchMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes labelled images in parallel into batches, in input order.
 *
 * <p>A fixed pool of daemon threads decodes the images of the next {@link Builder#optPrefetch(int) prefetch}
 * batches while the caller works on the current one, so a network rarely waits for decoding. At most
 * {@code prefetch + 1} batch buffers exist at a time, whatever the dataset size. Images that fail to decode are
 * left out of their batch and listed in {@link ImageBatch#failures()}; with {@link Builder#optFailFast(boolean)}
 * the {@link ImageDecodeException} is thrown from {@link #next()} instead. The threads stop when the last batch
 * has been taken or {@link #close()} is called. Not thread-safe: one consumer iterates.
 *
 * <pre>{@code
 * try (BatchLoader loader = BatchLoader.builder().setImages(folder.images("train"))
 *         .setPipeline(model.pipeline(ImageOptions.defaults())).setLabelEncoder(folder.labelEncoder()).build()) {
 *     while (loader.hasNext()) {
 *         ImageBatch batch = loader.next();
 *         ...
 *     }
 * }
 * }</pre>
 */
public final class BatchLoader implements Iterator<ImageBatch>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchLoader.class);
    private static final AtomicInteger LOADERS = new AtomicInteger();

    private final List<LabeledImage> images;
    private final int[] labels;
    private final ImagePipeline pipeline;
    private final LabelEncoder encoder;
    private final int batchSize;
    private final int threads;
    private final int prefetch;
    private final boolean failFast;
    private final int numBatches;
    private final ExecutorService pool;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private int submitted;
    private int returned;
    private boolean closed;

    /** A batch being decoded: one future per image, null on success or the decode failure. */
    private record Pending(int start, float[] buffer, List<Future<ImageDecodeException>> results) {
    }

    private BatchLoader(Builder b, int[] labels) {
        this.images = b.images;
        this.labels = labels;
        this.pipeline = b.pipeline;
        this.encoder = b.encoder;
        this.batchSize = b.batchSize;
        this.threads = b.threads;
        this.prefetch = b.prefetch;
        this.failFast = b.failFast;
        this.numBatches = (images.size() + batchSize - 1) / batchSize;
        this.pool = Executors.newFixedThreadPool(threads, daemonThreads("transferkit-decode-" + LOADERS.incrementAndGet()));
        topUp();
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** @return the number of images to load, failures included */
    public int numImages() {
        return images.size();
    }

    /** @return the number of batches, the last one possibly partial */
    public int numBatches() {
        return numBatches;
    }

    /** @return the class names behind the label indices */
    public LabelEncoder labelEncoder() {
        return encoder;
    }

    /** Submits batches until {@code prefetch} are in flight or all are submitted. */
    private void topUp() {
        while (pending.size() < prefetch && submitted < numBatches) {
            submit();
        }
    }

    private void submit() {
        int start = submitted * batchSize;
        int count = Math.min(batchSize, images.size() - start);
        float[] buffer = new float[count * pipeline.valuesPerImage()];
        List<Future<ImageDecodeException>> results = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Path path = images.get(start + i).path();
            int slot = i;
            results.add(pool.submit(() -> {
                try {
                    pipeline.load(path, buffer, slot);
                    return null;
                } catch (ImageDecodeException e) {
                    return e;
                }
            }));
        }
        pending.add(new Pending(start, buffer, results));
        submitted++;
    }

    /** @return true while batches remain and the loader is open */
    @Override
    public boolean hasNext() {
        return !closed && returned < numBatches;
    }

    /**
     * Returns the next batch, waiting for its images if they are still being decoded.
     *
     * @return the batch; failed images are left out and listed in {@link ImageBatch#failures()}
     * @throws ImageDecodeException   with fail-fast, for the first image of the batch that failed
     * @throws NoSuchElementException when all batches have been returned
     * @throws IllegalStateException  when the loader is closed
     * @throws TransferKitException   when decoding fails unexpectedly or the thread is interrupted
     */
    @Override
    public ImageBatch next() {
        if (closed) {
            throw new IllegalStateException("This BatchLoader is closed; create a new one to load the images again.");
        }
        if (returned >= numBatches) {
            throw new NoSuchElementException("All " + numBatches + " batches of this BatchLoader have been returned.");
        }
        if (pending.isEmpty()) {
            submit();
        }
        Pending head = pending.poll();
        returned++;
        topUp();
        if (returned == numBatches) {
            pool.shutdown(); // nothing left to submit; the threads end once idle
        }
        return assemble(head);
    }

    private ImageBatch assemble(Pending p) {
        int count = p.results.size();
        boolean[] ok = new boolean[count];
        List<ImageFailure> failures = new ArrayList<>();
        int good = 0;
        for (int i = 0; i < count; i++) {
            ImageDecodeException failure = await(p.results.get(i), images.get(p.start + i).path());
            if (failure == null) {
                ok[i] = true;
                good++;
            } else if (failFast) {
                throw failure;
            } else {
                LOG.debug("Skipping an image: {}", failure.getMessage());
                failures.add(new ImageFailure(images.get(p.start + i).path(), failure.getMessage()));
            }
        }
        int per = pipeline.valuesPerImage();
        int[] batchLabels = new int[good];
        List<Path> paths = new ArrayList<>(good);
        float[] values = good == count ? p.buffer : new float[good * per];
        int j = 0;
        for (int i = 0; i < count; i++) {
            if (ok[i]) {
                if (values != p.buffer) {
                    System.arraycopy(p.buffer, i * per, values, j * per, per);
                }
                batchLabels[j] = labels[p.start + i];
                paths.add(images.get(p.start + i).path());
                j++;
            }
        }
        INDArray features = good == 0 ? emptyBatch() : pipeline.toArray(values);
        return new ImageBatch(features, batchLabels, paths, failures);
    }

    /** A batch of no images; made outside any workspace, which cannot hold an empty array. */
    private INDArray emptyBatch() {
        try (var outside = BatchMemory.outside()) {
            return Nd4j.create(DataType.FLOAT, pipeline.spec().batchShape(0));
        }
    }

    private static ImageDecodeException await(Future<ImageDecodeException> future, Path path) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransferKitException("Interrupted while waiting for " + path + " to be decoded.", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            throw new TransferKitException("Loading " + path + " failed unexpectedly: " + cause, cause);
        }
    }

    /**
     * Stops the decoding threads and drops batches decoded ahead. Waits up to 10 seconds for images being
     * decoded to finish. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Pending p : pending) {
            p.results.forEach(f -> f.cancel(true));
        }
        pending.clear();
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Image decoding threads were still running 10 seconds after the BatchLoader was closed.");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "BatchLoader(" + images.size() + " images in " + numBatches + " batches of " + batchSize + ", "
                + threads + " threads, prefetch " + prefetch + ", " + (failFast ? "fail fast" : "skip failures") + ", "
                + pipeline + ")";
    }

    /** Builds a {@link BatchLoader}: images, pipeline and label encoder are required. */
    public static final class Builder {
        private List<LabeledImage> images;
        private ImagePipeline pipeline;
        private LabelEncoder encoder;
        private int batchSize = 32;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetch = 2;
        private boolean failFast;

        private Builder() {
        }

        /**
         * Sets the images to load, in the order batches should have.
         *
         * @param images the images, e.g. {@link ImageFolder#images(String)}
         * @return this builder
         */
        public Builder setImages(List<LabeledImage> images) {
            this.images = List.copyOf(Objects.requireNonNull(images, "images"));
            return this;
        }

        /**
         * Sets how files become network input.
         *
         * @param pipeline the pipeline
         * @return this builder
         */
        public Builder setPipeline(ImagePipeline pipeline) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            return this;
        }

        /**
         * Sets the classes that labels are encoded with.
         *
         * @param encoder the encoder; every image's label must be one of its classes
         * @return this builder
         */
        public Builder setLabelEncoder(LabelEncoder encoder) {
            this.encoder = Objects.requireNonNull(encoder, "encoder");
            return this;
        }

        /**
         * Sets the number of images per batch (default 32); the last batch may be smaller.
         *
         * @param batchSize positive
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = Checks.atLeast("The batch size", batchSize, 1);
            return this;
        }

        /**
         * Sets the number of decoding threads (default: the number of available processors).
         *
         * @param threads positive
         * @return this builder
         */
        public Builder optThreads(int threads) {
            this.threads = Checks.atLeast("The number of decoding threads", threads, 1);
            return this;
        }

        /**
         * Sets how many batches are decoded ahead of the one being consumed (default 2; 0 decodes on demand).
         *
         * @param batches zero or more
         * @return this builder
         */
        public Builder optPrefetch(int batches) {
            this.prefetch = Checks.atLeast("The number of prefetched batches", batches, 0);
            return this;
        }

        /**
         * Sets whether an undecodable image stops loading (default false: it is skipped and reported).
         *
         * @param failFast true to throw the {@link ImageDecodeException} from {@link BatchLoader#next()}
         * @return this builder
         */
        public Builder optFailFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        /**
         * Validates the configuration and starts decoding the first batches.
         *
         * @return the loader; close it when done
         * @throws IllegalStateException when images, pipeline or label encoder are missing
         * @throws TransferKitException  when an image's label is not a class of the encoder
         */
        public BatchLoader build() {
            List<String> missing = new ArrayList<>();
            if (images == null) {
                missing.add("setImages");
            }
            if (pipeline == null) {
                missing.add("setPipeline");
            }
            if (encoder == null) {
                missing.add("setLabelEncoder");
            }
            if (!missing.isEmpty()) {
                throw new MissingSettingException("A BatchLoader needs images, a pipeline and a label encoder; missing: "
                        + String.join(", ", missing) + ".");
            }
            int[] labels = new int[images.size()];
            for (int i = 0; i < labels.length; i++) {
                LabeledImage image = images.get(i);
                if (!encoder.contains(image.label())) {
                    throw new TransferKitException("The image " + image.path() + " has the label '" + image.label()
                            + "', which is not one of the " + encoder.size() + " classes " + encoder.toList()
                            + " of the label encoder.");
                }
                labels[i] = encoder.index(image.label());
            }
            return new BatchLoader(this, labels);
        }
    }
}
