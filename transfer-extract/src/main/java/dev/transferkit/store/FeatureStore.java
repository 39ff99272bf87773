package dev.transferkit.store;

import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.predict.FeatureOrigin;
import dev.transferkit.predict.StoredFeatures;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads a feature store written by {@link FeatureStoreWriter}: its spec, and its rows by range, all at once
 * ({@link #loadAll()}) or batched and shuffled ({@link StoreDataSetIterator}).
 *
 * <p>Only committed rows are visible ({@code committed_rows}); rows an interrupted writer left past them are ignored.
 * Methods may be called from several threads (all HDF5 access is serialised).
 *
 * <p>A <em>sharded</em> store, a directory of store files with a {@link ShardManifest} (as the Spark extractor writes),
 * opens with the same {@link #open(Path)} and reads as one store: its rows are the shards' rows in manifest order,
 * its spec, creation time and provenance are the manifest's, and it is always complete.
 */
public final class FeatureStore implements AutoCloseable, StoredFeatures {
    /** System property that overrides the default memory budget of {@link #loadAll()}, in bytes. */
    public static final String LOAD_BUDGET_PROPERTY = "transferkit.store.loadBudgetBytes";
    /** The default memory budget of {@link #loadAll()}: 2 GiB of features. */
    public static final long DEFAULT_LOAD_BUDGET_BYTES = 2L << 30;

    private final Path path;
    /** The store file; null for a sharded store. */
    private final StoreFile file;
    /** The shards of a sharded store; null for a single file. */
    private final ShardSet shards;
    private final StoreSpec spec;
    private final long rows;
    private final long failureCount;
    private final long expectedRows;
    private final boolean complete;
    /** Rows readable from {@code /features}; the rest, in an incomplete store, come from its tail slot. */
    private final long mainRows;
    private final long tailSlotRow;
    private final String created;
    private final Map<String, String> provenance;
    private volatile boolean closed;

    private FeatureStore(Path path, boolean allowIncomplete) {
        this.path = path;
        this.shards = null;
        this.file = StoreFile.open(path, false);
        try {
            StoreHeader.requireFormat(file);
            this.spec = StoreHeader.readSpec(file);
            this.rows = file.longAttribute(StoreHeader.COMMITTED_ROWS);
            this.failureCount = file.longAttribute(StoreHeader.COMMITTED_FAILURES);
            this.expectedRows = StoreHeader.readExpectedRows(file);
            this.complete = file.longAttribute(StoreHeader.COMPLETE) != 0;
            this.created = file.hasAttribute(StoreHeader.CREATED) ? file.stringAttribute(StoreHeader.CREATED) : "";
            this.provenance = StoreHeader.readProvenance(file);
            FeatureLayout layout = FeatureLayout.of(file);
            this.mainRows = layout.mainRows(rows, complete);
            this.tailSlotRow = layout.slotRow(mainRows);
            requireShape(StoreFile.FEATURES, mainRows, spec.featureDim());
            if (mainRows < rows) {
                requireShape(StoreFile.TAIL, tailSlotRow + rows - mainRows, spec.featureDim());
            }
            requireShape(StoreFile.LABELS, rows, -1);
            requireShape(StoreFile.PATHS, rows, -1);
            requireShape(StoreFile.FAILURES, failureCount, 2);
            if (!complete && !allowIncomplete) {
                throw new StoreIncompleteException(path, rows, expectedRows);
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private FeatureStore(Path dir, ShardManifest manifest) {
        this.path = dir;
        this.file = null;
        this.shards = new ShardSet(dir, manifest);
        this.spec = manifest.spec();
        this.rows = manifest.rows();
        this.failureCount = manifest.failures();
        this.expectedRows = rows + failureCount;
        this.complete = true;
        this.mainRows = rows;
        this.tailSlotRow = 0;
        this.created = manifest.created();
        this.provenance = manifest.provenance();
    }

    /**
     * Opens a complete store for reading: a store file, or a sharded store directory (one holding
     * {@value ShardManifest#FILE_NAME}).
     *
     * @param path the store file or sharded store directory
     * @return the open store
     * @throws StoreIncompleteException when the writer never marked it complete
     * @throws StoreFormatException     when the file is not HDF5, not a store, truncated or corrupt, or a shard listed in
     *                                  the manifest is missing or has another size
     * @throws StoreException           when the file does not exist, or the directory has no manifest
     */
    public static FeatureStore open(Path path) {
        if (Files.isDirectory(path)) {
            return new FeatureStore(path, ShardManifest.read(path));
        }
        return new FeatureStore(path, false);
    }

    /**
     * Opens a store for reading even when it is incomplete; only its committed rows are visible. A sharded store
     * directory is always complete, so this is {@link #open(Path)} for it.
     *
     * @param path the store file or sharded store directory
     * @return the open store
     * @throws StoreFormatException when the file is not HDF5, not a store, truncated or corrupt
     * @throws StoreException       when the file does not exist
     */
    public static FeatureStore openIncomplete(Path path) {
        if (Files.isDirectory(path)) {
            return open(path);
        }
        return new FeatureStore(path, true);
    }

    private void requireShape(String dataset, long minRows, long columns) {
        long[] dims = file.dims(dataset);
        int rank = columns < 0 ? 1 : 2;
        if (dims.length != rank || dims[0] < minRows || (columns >= 0 && dims[1] != columns)) {
            throw new StoreFormatException(path, "The feature store " + path + " is damaged: /" + dataset + " has shape "
                    + Arrays.toString(dims) + " but " + minRows + (columns >= 0 ? " rows of " + columns + " values" : " rows")
                    + " were expected.");
        }
    }

    /**
     * Returns the spec the store was written with.
     *
     * @return the spec
     */
    public StoreSpec spec() {
        return spec;
    }

    /**
     * Returns what the features were computed with, from the spec.
     *
     * @return the spec's model, layer, pooling, input size and preprocessing
     */
    @Override
    public FeatureOrigin origin() {
        return new FeatureOrigin(spec.model(), new FeatureTarget(spec.layer(), spec.pooling()), spec.inputSpec(),
                spec.preprocessing());
    }

    /**
     * Throws unless this store was written with {@code wanted}.
     *
     * @param wanted the spec the caller needs
     * @throws StoreMismatchException naming the file and the first differing field
     */
    public void requireCompatible(StoreSpec wanted) {
        spec.requireSame(wanted, path);
    }

    /**
     * Returns the store file, or the directory of a sharded store.
     *
     * @return the path as given to {@link #open}
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the number of committed rows.
     *
     * @return the rows readable from this store
     */
    public long rows() {
        return rows;
    }

    /**
     * Returns the feature dimension.
     *
     * @return the length of one feature vector
     */
    public int dim() {
        return spec.featureDim();
    }

    /**
     * Returns the class names labels index.
     *
     * @return the label names of the spec
     */
    public List<String> labelNames() {
        return spec.labelNames();
    }

    /**
     * Returns whether the writer marked the store complete.
     *
     * @return true for a finished extraction
     */
    public boolean isComplete() {
        return complete;
    }

    /**
     * Returns the number of inputs the writer planned.
     *
     * @return rows plus failures planned, or -1 when the writer did not say
     */
    public long expectedRows() {
        return expectedRows;
    }

    /**
     * Returns when the store was created.
     *
     * @return an ISO-8601 instant, or an empty string when absent
     */
    public String created() {
        return created;
    }

    /**
     * Returns the free-form provenance the writer stored.
     *
     * @return an unmodifiable map, empty when none was stored
     */
    public Map<String, String> provenance() {
        return provenance;
    }

    /**
     * Reads the committed failures: inputs the extraction could not turn into rows.
     *
     * @return the failures in the order they were recorded
     */
    public List<Failure> failures() {
        requireOpen();
        if (shards != null) {
            return shards.failures();
        }
        String[] cells = file.readStrings(StoreFile.FAILURES, 0, (int) failureCount, 2);
        List<Failure> out = new ArrayList<>(cells.length / 2);
        for (int i = 0; i < cells.length; i += 2) {
            out.add(new Failure(cells[i], cells[i + 1]));
        }
        return out;
    }

    /**
     * Reads consecutive rows of features.
     *
     * @param start the first row
     * @param count the number of rows
     * @return a new float array {@code [count, dim()]} in C order
     * @throws IllegalArgumentException when the range is outside {@code [0, rows())}
     */
    public INDArray readFeatures(long start, int count) {
        requireRange(start, count);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, count, dim());
        readFeaturesInto(start, count, out, 0);
        return out;
    }

    /** Reads rows straight into rows {@code [offset, offset + count)} of a C-order float array {@code [n, dim()]}. */
    void readFeaturesInto(long start, int count, INDArray target, long offset) {
        requireOpen();
        if (shards != null) {
            shards.forEachPiece(start, count, (shard, from, n, at) -> shard.readFeaturesInto(from, n, target, offset + at));
            return;
        }
        if (count > 0) {
            // A view of whole rows of a C-order array is contiguous, and its buffer's address includes the offset.
            long fromMain = Math.max(0, Math.min(count, mainRows - start));
            if (fromMain > 0) {
                INDArray rowsView = target.get(NDArrayIndex.interval(offset, offset + fromMain), NDArrayIndex.all());
                file.readFloats(StoreFile.FEATURES, start, fromMain, dim(), rowsView.data().addressPointer());
            }
            if (fromMain < count) {
                INDArray rowsView = target.get(NDArrayIndex.interval(offset + fromMain, offset + count), NDArrayIndex.all());
                file.readFloats(StoreFile.TAIL, tailSlotRow + start + fromMain - mainRows, count - fromMain, dim(),
                        rowsView.data().addressPointer());
            }
        }
    }

    /**
     * Reads consecutive labels.
     *
     * @param start the first row
     * @param count the number of rows
     * @return the class indices
     * @throws IllegalArgumentException when the range is outside {@code [0, rows())}
     */
    public int[] readLabels(long start, int count) {
        requireRange(start, count);
        requireOpen();
        if (shards != null) {
            int[] out = new int[count];
            shards.forEachPiece(start, count, (shard, from, n, at) -> System.arraycopy(shard.readLabels(from, n), 0, out, at, n));
            return out;
        }
        return file.readInts(StoreFile.LABELS, start, count);
    }

    /**
     * Reads consecutive input paths.
     *
     * @param start the first row
     * @param count the number of rows
     * @return the paths as the writer was given them
     * @throws IllegalArgumentException when the range is outside {@code [0, rows())}
     */
    public List<String> readPaths(long start, int count) {
        requireRange(start, count);
        requireOpen();
        if (shards != null) {
            List<String> out = new ArrayList<>(count);
            shards.forEachPiece(start, count, (shard, from, n, at) -> out.addAll(shard.readPaths(from, n)));
            return List.copyOf(out);
        }
        return List.of(file.readStrings(StoreFile.PATHS, start, count, 1));
    }

    /**
     * Loads every row into memory, within the default budget ({@value #DEFAULT_LOAD_BUDGET_BYTES} bytes, or the
     * system property {@value #LOAD_BUDGET_PROPERTY}).
     *
     * @return features and labels
     * @throws StoreException when the features would exceed the budget
     */
    public LoadedFeatures loadAll() {
        return loadAll(Long.getLong(LOAD_BUDGET_PROPERTY, DEFAULT_LOAD_BUDGET_BYTES));
    }

    /**
     * Loads every row into memory if the features fit in {@code budgetBytes}.
     *
     * @param budgetBytes the most bytes the feature matrix may take
     * @return features and labels
     * @throws StoreException when {@code rows() * dim() * 4} exceeds the budget
     */
    public LoadedFeatures loadAll(long budgetBytes) {
        long bytes = rows * dim() * (long) Float.BYTES;
        if (bytes > budgetBytes || rows > Integer.MAX_VALUE) {
            throw new StoreException(path, "Loading the feature store " + path + " needs " + mib(bytes) + " ("
                    + rows + " rows x " + dim() + " floats), more than the memory budget of " + mib(budgetBytes)
                    + ". Train from disk with StoreDataSetIterator, or raise the budget (loadAll(bytes) or -D"
                    + LOAD_BUDGET_PROPERTY + ").");
        }
        return new LoadedFeatures(readFeatures(0, (int) rows), readLabels(0, (int) rows), labelNames());
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** Returns the shards of a sharded store, null for a single file (for tests). */
    ShardSet shardSet() {
        return shards;
    }

    private void requireRange(long start, int count) {
        if (start < 0 || count < 0 || start + count > rows) {
            throw new IllegalArgumentException("Rows [" + start + ", " + (start + count) + ") are outside the "
                    + rows + " rows of the feature store " + path + ".");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("The feature store " + path + " is closed.");
        }
    }

    /** Closes the file. Calling it twice is harmless. */
    @Override
    public void close() {
        if (shards != null) {
            // The shard set's lock is taken before HDF5's (as reads do), never inside it.
            synchronized (shards) {
                closed = true;
                shards.close();
            }
            return;
        }
        synchronized (Hdf5.LOCK) {
            if (!closed) {
                closed = true;
                file.close();
            }
        }
    }

    @Override
    public String toString() {
        return "FeatureStore(" + path + (shards != null ? ", " + shards.manifest().shards().size() + " shards" : "")
                + ", " + spec + ", rows=" + rows
                + (expectedRows >= 0 ? " of " + expectedRows : "") + ", failures=" + failureCount
                + (complete ? ", complete" : ", incomplete") + (closed ? ", closed" : "") + ")";
    }
}
