package dev.transferkit.finetune;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.transferkit.core.AtomicFiles;
import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.extract.Progress;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The frozen prefix's boundary activations of every image of one split, computed once and kept on disk, so that
 * nothing proportional to the split stays in memory: one fixed-size row per image, read back by row index for
 * shuffled batches.
 *
 * <p><b>Files.</b> {@code NAME.rows} holds the rows: row {@code i} is image {@code i}'s boundary values, each
 * flattened in C order and one after another, as little-endian float32, at byte offset {@code i * rowBytes}.
 * {@code NAME.json} says what they are: the {@link Key} they were computed for, the number of images, the per-image
 * shape of every boundary value and how many rows are committed.
 *
 * <p><b>Commits.</b> Rows are computed in image order, one batch at a time. After each batch the rows file is forced
 * to disk, and only then is the metadata replaced, atomically, by one that commits the new rows. A process killed at
 * any point leaves at most uncommitted rows past the committed ones, which the next {@link #open} overwrites,
 * continuing with the first uncommitted batch; batches start at multiples of the batch size, so a resumed cache holds
 * exactly the rows of an uninterrupted one. A cache is complete, and reused as it is, only when its metadata commits
 * every row; one written for another {@link Key} is computed again.
 *
 * <p><b>Why not the HDF5 feature store</b> of transfer-extract ({@code FeatureStoreWriter},
 * {@code StoreDataSetIterator}): it holds one matrix of pooled features with labels, paths and an extraction spec,
 * stores them in gzip-compressed chunks that a random row access decompresses whole, and would bring HDF5 and
 * liblinear into this module, which depends on transfer-predict to stay without them. Rows of one fixed length need
 * none of that: a positioned read is the random access, and the commit rule above is all the resuming there is.
 */
final class BoundaryCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BoundaryCache.class);
    static final String FORMAT = "transferkit-boundary-cache";
    static final int VERSION = 1;
    static final String ROWS = ".rows";
    static final String META = ".json";
    private static final long LOG_INTERVAL = TimeUnit.SECONDS.toNanos(5);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /**
     * What a cache's rows were computed for; a cache is reused only by a key equal to the one it was written for.
     *
     * @param run       the run's fingerprint (training settings, base model, data), or null for a cache never resumed
     * @param phase     the training phase, 1 or 2
     * @param boundary  the boundary values, in order
     * @param prefix    the frozen prefix's forward pass and a hash of its parameters, or null
     * @param batchSize images per forward pass
     */
    record Key(RunFingerprint run, int phase, List<String> boundary, String prefix, int batchSize) {
        Key {
            boundary = List.copyOf(boundary);
            if (batchSize < 1) {
                throw new IllegalArgumentException("The batch size of a boundary cache must be at least 1, but is " + batchSize + ".");
            }
        }

        /** @return why rows computed for {@code found} are not rows for this key, or null when they are */
        String mismatch(Key found) {
            if (!Objects.equals(run, found.run)) {
                return "it was written by a run with other training settings, base model or data";
            }
            if (phase != found.phase) {
                return "it holds phase " + found.phase + "'s activations, not phase " + phase + "'s";
            }
            if (!boundary.equals(found.boundary)) {
                return "its boundary is " + found.boundary + ", not " + boundary;
            }
            if (!Objects.equals(prefix, found.prefix)) {
                return "its frozen prefix (" + found.prefix + ") is not this one (" + prefix + ")";
            }
            if (batchSize != found.batchSize) {
                return "it was computed in batches of " + found.batchSize + ", not " + batchSize;
            }
            return null;
        }
    }

    /** The content of {@code NAME.json}. */
    private record Meta(String format, int version, Key key, int images, long[][] shapes, int committed) {
    }

    private final Path rowsFile;
    private final Path metaFile;
    private final Key key;
    private final int images;
    private final FileChannel channel;
    private long[][] shapes;
    private int[] sizes;
    private int rowFloats;
    private int rowBytes;
    private int committed;

    private BoundaryCache(Path rowsFile, Path metaFile, Key key, int images, FileChannel channel, Meta found) {
        this.rowsFile = rowsFile;
        this.metaFile = metaFile;
        this.key = key;
        this.images = images;
        this.channel = channel;
        if (found != null) {
            layout(found.shapes());
            committed = found.committed();
        }
    }

    /**
     * Opens the cache {@code NAME} in {@code dir}, computing the rows it lacks: all of them for a new cache or one
     * written for another key, those after the last committed row for an interrupted one, none for a complete one.
     *
     * @param dir     the directory of the cache files (created when missing)
     * @param name    the cache's name, the stem of its two files
     * @param key     what the rows must have been computed for
     * @param images  the number of images (rows)
     * @param compute the boundary values of the images with the given indices, each array with the batch first
     * @return the complete cache; close it to release the file
     * @throws TransferKitIOException naming the file when it cannot be written or read
     */
    static BoundaryCache open(Path dir, String name, Key key, int images, Function<int[], INDArray[]> compute) {
        if (images < 1) {
            throw new IllegalArgumentException("The boundary cache " + dir.resolve(name + ROWS) + " needs at least one image, but got " + images + ".");
        }
        Path rowsFile = dir.resolve(name + ROWS);
        Path metaFile = dir.resolve(name + META);
        try {
            Files.createDirectories(dir);
            Meta found = usable(rowsFile, metaFile, key, images);
            if (found == null) {
                Files.deleteIfExists(metaFile); // no metadata may describe the rows while they are rewritten
            }
            FileChannel channel = FileChannel.open(rowsFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            BoundaryCache cache = new BoundaryCache(rowsFile, metaFile, key, images, channel, found);
            try {
                cache.fill(compute);
                return cache;
            } catch (IOException | RuntimeException | Error e) {
                cache.closeQuietly(e);
                throw e;
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the boundary cache " + rowsFile + ": " + e.getMessage(), e);
        }
    }

    /** @return the metadata of a cache that can be reused or continued for {@code key}, or null (saying why) */
    private static Meta usable(Path rowsFile, Path metaFile, Key key, int images) {
        if (!Files.exists(metaFile)) {
            return null;
        }
        Meta meta;
        try {
            meta = JSON.readValue(metaFile.toFile(), Meta.class);
        } catch (IOException e) {
            LOG.warn("The boundary cache metadata {} cannot be read ({}); computing the cache again.", metaFile, e.getMessage());
            return null;
        }
        if (!FORMAT.equals(meta.format()) || meta.version() != VERSION || meta.key() == null || meta.shapes() == null) {
            LOG.warn("The boundary cache metadata {} is not of format {} version {}; computing the cache again.", metaFile,
                    FORMAT, VERSION);
            return null;
        }
        String mismatch = key.mismatch(meta.key());
        if (mismatch == null && meta.images() != images) {
            mismatch = "it holds " + meta.images() + " images, not " + images;
        }
        if (mismatch != null) {
            LOG.info("Not reusing the boundary cache {}: {}. Computing it again for this run.", rowsFile, mismatch);
            return null;
        }
        long need = (long) meta.committed() * Arrays.stream(meta.shapes()).mapToLong(BoundaryCache::elements).sum() * Float.BYTES;
        try {
            long size = Files.exists(rowsFile) ? Files.size(rowsFile) : -1;
            if (meta.committed() < 0 || meta.committed() > images || size < need) {
                LOG.warn("The boundary cache {} is damaged ({} bytes for {} committed rows, {} needed); computing it again.",
                        rowsFile, size, meta.committed(), need);
                return null;
            }
        } catch (IOException e) {
            LOG.warn("The boundary cache {} cannot be read ({}); computing it again.", rowsFile, e.getMessage());
            return null;
        }
        return meta;
    }

    /** Computes and commits the rows after the committed ones, batch by batch, logging the progress. */
    private void fill(Function<int[], INDArray[]> compute) throws IOException {
        int start = committed;
        if (start == images) {
            LOG.info("Reusing the boundary activations of {} images in {}.", images, rowsFile);
            return;
        }
        if (start > 0) {
            LOG.info("Continuing the boundary cache {} after its {} committed rows of {}.", rowsFile, start, images);
        } else {
            channel.truncate(0);
            LOG.info("Computing the frozen prefix's activations at {} of {} images once, into {}.", key.boundary(), images, rowsFile);
        }
        long t0 = System.nanoTime();
        long lastLog = t0;
        for (int first = start; first < images; first += key.batchSize()) {
            int[] idx = IntStream.range(first, Math.min(images, first + key.batchSize())).toArray();
            INDArray[] values = compute.apply(idx);
            long[][] found = shapesOf(values, idx.length);
            if (shapes == null) {
                layout(found);
            } else if (!Arrays.deepEquals(shapes, found)) {
                throw new IllegalStateException("The frozen prefix computed boundary values of per-image shapes "
                        + Arrays.deepToString(found) + " for images " + first + " to " + (first + idx.length - 1)
                        + ", but the boundary cache " + rowsFile + " holds " + Arrays.deepToString(shapes) + ".");
            }
            ByteBuffer rows = ByteBuffer.allocate(Math.multiplyExact(idx.length, rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer floats = rows.asFloatBuffer();
            float[][] data = new float[values.length][];
            for (int k = 0; k < values.length; k++) {
                INDArray c = values[k].dup('c');
                data[k] = c.data().asFloat();
                c.close(); // freed now rather than when the garbage collector runs
                if (values[k].closeable()) {
                    values[k].close();
                }
            }
            for (int i = 0; i < idx.length; i++) {
                for (int k = 0; k < values.length; k++) {
                    floats.put(data[k], i * sizes[k], sizes[k]);
                }
            }
            long position = (long) first * rowBytes;
            while (rows.hasRemaining()) {
                position += channel.write(rows, position);
            }
            channel.force(true);
            committed = first + idx.length;
            Meta meta = new Meta(FORMAT, VERSION, key, images, shapes, committed);
            AtomicFiles.write(metaFile, out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta)));
            long now = System.nanoTime();
            if (now - lastLog >= LOG_INTERVAL || committed == images) {
                lastLog = now;
                double rate = (committed - start) / Math.max(1e-9, (now - t0) / 1e9);
                LOG.info("Boundary cache {}: {}", rowsFile.getFileName(), new Progress(committed, images, 0, rate,
                        Duration.ofSeconds(Math.round((images - committed) / rate))));
            }
        }
    }

    /**
     * Reads the rows of some images: only that batch is allocated.
     *
     * @param idx image indices, in any order
     * @return their boundary values, one array per value, the batch first, in the order of {@code idx}
     * @throws IndexOutOfBoundsException naming the index when one is not an image of this cache
     * @throws TransferKitIOException naming the file when it cannot be read
     */
    INDArray[] rows(int[] idx) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(idx.length, rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] < 0 || idx[i] >= images) {
                    throw new IndexOutOfBoundsException("The image index " + idx[i] + " is outside the boundary cache "
                            + rowsFile + " of " + images + " images.");
                }
                long position = (long) idx[i] * rowBytes;
                bytes.limit((i + 1) * rowBytes).position(i * rowBytes);
                while (bytes.hasRemaining()) {
                    int n = channel.read(bytes, position);
                    if (n < 0) {
                        throw new EOFException("the file ends before row " + idx[i]);
                    }
                    position += n;
                }
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not read the boundary cache " + rowsFile + ": " + e.getMessage(), e);
        }
        bytes.clear();
        FloatBuffer floats = bytes.asFloatBuffer();
        INDArray[] out = new INDArray[shapes.length];
        int offset = 0;
        for (int k = 0; k < shapes.length; k++) {
            float[] v = new float[idx.length * sizes[k]];
            for (int i = 0; i < idx.length; i++) {
                floats.get(i * rowFloats + offset, v, i * sizes[k], sizes[k]);
            }
            long[] shape = new long[shapes[k].length + 1];
            shape[0] = idx.length;
            System.arraycopy(shapes[k], 0, shape, 1, shapes[k].length);
            out[k] = Nd4j.create(v, shape, 'c');
            offset += sizes[k];
        }
        return out;
    }

    /** @return the number of committed rows */
    int committed() {
        return committed;
    }

    private void layout(long[][] perImage) {
        shapes = perImage;
        sizes = new int[perImage.length];
        long total = 0;
        for (int k = 0; k < perImage.length; k++) {
            sizes[k] = Math.toIntExact(elements(perImage[k]));
            total += sizes[k];
        }
        rowFloats = Math.toIntExact(total);
        rowBytes = Math.multiplyExact(rowFloats, Float.BYTES);
    }

    private static long elements(long[] shape) {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    /** @return the per-image shape of every boundary value, checking that they are float32 batches of {@code n} */
    private long[][] shapesOf(INDArray[] values, int n) {
        long[][] out = new long[values.length][];
        for (int k = 0; k < values.length; k++) {
            if (values[k].dataType() != DataType.FLOAT || values[k].rank() < 1 || values[k].size(0) != n) {
                throw new IllegalStateException("The frozen prefix's boundary value " + k + " of " + key.boundary() + " is a "
                        + values[k].dataType() + " array of shape " + Arrays.toString(values[k].shape()) + " for a batch of "
                        + n + " images; the boundary cache " + rowsFile + " holds FLOAT arrays with the batch first.");
            }
            out[k] = Arrays.copyOfRange(values[k].shape(), 1, values[k].rank());
        }
        return out;
    }

    private void closeQuietly(Throwable failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Closes the file; the cache files stay.
     *
     * @throws TransferKitIOException naming the file when closing fails
     */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new TransferKitIOException("Could not close the boundary cache " + rowsFile + ".", e);
        }
    }

    @Override
    public String toString() {
        return "BoundaryCache(" + rowsFile + ", " + committed + " of " + images + " rows, shapes " + Arrays.deepToString(shapes) + ")";
    }
}
