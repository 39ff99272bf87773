package dev.transferkit.store;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.AtomicFiles;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Appends feature rows to a store file, batch by batch, so that an interrupted extraction can resume exactly where it
 * stopped.
 *
 * <p>Every {@link #append} is one commit: the rows are written and flushed to disk, and only then the root attribute
 * {@code committed_rows} is raised and flushed again. A process killed at any point leaves a file whose
 * {@code committed_rows} counts only complete batches; rows past it are cut off when the store is resumed, so a
 * resumed run has no duplicated and no missing rows. Compressed chunks are written once, whole (see
 * {@link FeatureLayout}); a batch that fills more than a chunk past a part-filled one is committed in two steps, the
 * first ending at a chunk boundary, and either step leaves a store that resumes correctly. Failures
 * ({@link #recordFailure}) are buffered and committed
 * with the next batch, {@link #markComplete()} or {@link #close()}.
 *
 * <p>The writer holds an exclusive lock file ({@code <store>.lock}) from creation to {@link #close()}: a second writer
 * on the same store, in this process or another, is refused. A writer is meant for one thread at a time; its methods
 * are synchronized so that misuse cannot interleave batches.
 */
public final class FeatureStoreWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureStoreWriter.class);
    private static final int PATH_READ_BLOCK = 65536;

    /** What to do when the store file already exists. */
    public enum IfExists {
        /** Refuse: the existing file is neither touched nor reused. */
        FAIL,
        /** Continue an incomplete store written with the same spec; create the store when it does not exist. */
        RESUME,
        /** Replace the existing file with a new, empty store. */
        OVERWRITE
    }

    private final Path path;
    private final StoreSpec spec;
    private final StoreLock lock;
    private final boolean resumed;
    private final Set<String> writtenPaths = new HashSet<>();
    private final Set<String> failedPaths = new HashSet<>();
    private final List<Failure> pendingFailures = new ArrayList<>();
    private StoreFile file;
    private FeatureLayout layout;
    private long rows;
    private long committedFailures;
    private long expectedRows;
    private boolean complete;

    /** Set when a write failed (e.g. the disk is full): the file can take no more rows and is closed without a flush. */
    private String writeFailure;

    /** Tells the usable bytes of the disk holding a file; tests replace it to simulate a full disk. */
    interface UsableSpace {
        long applyAsLong(Path file) throws IOException;
    }

    /** The free-space probe used before every batch; package-private so that tests can simulate a full disk. */
    UsableSpace usableSpace = file -> Files.getFileStore(file).getUsableSpace();

    /** Runs between the data flush and the commit of a batch; tests replace it to simulate a crash there. */
    Runnable afterDataFlush = () -> { };

    private FeatureStoreWriter(Builder b, Path path, StoreLock lock) {
        this.path = path;
        this.spec = b.spec;
        this.lock = lock;
        this.expectedRows = b.expectedRows;
        boolean exists = Files.exists(path);
        if (exists && b.ifExists == IfExists.FAIL) {
            throw new StoreException(path, describeExisting(path));
        }
        this.resumed = exists && b.ifExists == IfExists.RESUME;
        if (resumed) {
            resume(b);
        } else {
            createFresh(b);
        }
    }

    /**
     * Creates a new store; fails when the file exists.
     *
     * @param path         the store file, e.g. {@code features/train.h5}
     * @param spec         what the rows will be
     * @param expectedRows how many rows the extraction plans to write (rows plus failures), or -1 when unknown
     * @return the open writer
     * @throws StoreException       when the file exists (complete or not) or cannot be created
     * @throws StoreLockedException when another writer holds the store's lock
     */
    public static FeatureStoreWriter create(Path path, StoreSpec spec, long expectedRows) {
        return builder().setPath(path).setSpec(spec).optExpectedRows(expectedRows).build();
    }

    /**
     * Resumes an incomplete store written with the same spec, or creates it when the file does not exist.
     *
     * @param path the store file
     * @param spec what the rows are; must equal the spec the store was written with
     * @return the open writer, positioned after the last committed row
     * @throws StoreMismatchException when the store was written with another spec
     * @throws StoreException         when the store is already complete
     * @throws StoreFormatException   when the file is not a readable store
     * @throws StoreLockedException   when another writer holds the store's lock
     */
    public static FeatureStoreWriter openForResume(Path path, StoreSpec spec) {
        return builder().setPath(path).setSpec(spec).optIfExists(IfExists.RESUME).build();
    }

    /**
     * Starts a writer configuration: {@code setPath} and {@code setSpec} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private void createFresh(Builder b) {
        Path dir = path.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            deleteStaleTemporaries();
            tmp = dev.transferkit.core.AtomicFiles.createPartFile(path);
            int chunkRows = b.chunkRows != null ? b.chunkRows : defaultChunkRows(spec.featureDim());
            chunkRows = (int) (expectedRows > 0 ? Math.min(chunkRows, expectedRows) : chunkRows);
            try (StoreFile skeleton = StoreFile.create(tmp, spec.featureDim(), chunkRows, b.compressionLevel)) {
                StoreHeader.writeSpec(skeleton, spec);
                StoreHeader.writeProvenance(skeleton, b.provenance);
                skeleton.setAttribute(StoreHeader.CREATED, Instant.now().toString());
                if (expectedRows >= 0) {
                    skeleton.setAttribute(StoreHeader.EXPECTED_ROWS, expectedRows);
                }
                skeleton.setAttribute(StoreHeader.COMMITTED_ROWS, 0L);
                skeleton.setAttribute(StoreHeader.COMMITTED_FAILURES, 0L);
                skeleton.setAttribute(StoreHeader.COMPLETE, 0L);
            }
            // The store appears under its name only as a valid, empty, incomplete store.
            AtomicFiles.move(tmp, path);
        } catch (IOException e) {
            throw new StoreException(path, "Could not create the feature store " + path + " (" + e + ").", e);
        } finally {
            deleteQuietly(tmp);
        }
        file = StoreFile.open(path, true);
        layout = FeatureLayout.of(file);
    }

    /**
     * Deletes the {@code .<store>.*.part} files that writers killed while creating this store left behind. Only a
     * writer holding the store's lock creates them, and this writer holds it now, so none of them is in use.
     */
    private void deleteStaleTemporaries() throws IOException {
        String prefix = "." + path.getFileName() + ".";
        try (var entries = Files.newDirectoryStream(path.getParent(),
                p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".part"))) {
            for (Path stale : entries) {
                log.info("Deleting {}, left by a writer of {} that was killed while creating it.", stale, path);
                deleteQuietly(stale);
            }
        }
    }

    /**
     * About 512 KiB of features per chunk, between 1 and 256 rows. Every commit flushes the chunk it ends in, so a chunk
     * that spans several batches is compressed once per batch: chunks near the batch size write fastest.
     */
    static int defaultChunkRows(int dim) {
        return Math.max(1, Math.min(256, (512 * 1024) / (dim * Float.BYTES)));
    }

    private void resume(Builder b) {
        file = StoreFile.open(path, true);
        try {
            StoreHeader.requireFormat(file);
            StoreHeader.readSpec(file).requireSame(spec, path);
            if (file.longAttribute(StoreHeader.COMPLETE) != 0) {
                throw new StoreException(path, "The feature store " + path + " is already complete, so there is nothing to"
                        + " resume; open it with FeatureStore.open, or use IfExists.OVERWRITE to extract it again.");
            }
            rows = file.longAttribute(StoreHeader.COMMITTED_ROWS);
            committedFailures = file.longAttribute(StoreHeader.COMMITTED_FAILURES);
            layout = FeatureLayout.of(file);
            cutToCommitted(StoreFile.FEATURES, layout.mainRows(rows, false));
            cutToCommitted(StoreFile.LABELS, rows);
            cutToCommitted(StoreFile.PATHS, rows);
            cutToCommitted(StoreFile.FAILURES, committedFailures);
            for (long start = 0; start < rows; start += PATH_READ_BLOCK) {
                int n = (int) Math.min(PATH_READ_BLOCK, rows - start);
                Collections.addAll(writtenPaths, file.readStrings(StoreFile.PATHS, start, n, 1));
            }
            String[] failures = file.readStrings(StoreFile.FAILURES, 0, (int) committedFailures, 2);
            for (int i = 0; i < failures.length; i += 2) {
                failedPaths.add(failures[i]);
            }
            long recorded = StoreHeader.readExpectedRows(file);
            if (expectedRows >= 0 && expectedRows != recorded) {
                file.setAttribute(StoreHeader.EXPECTED_ROWS, expectedRows);
            } else {
                expectedRows = recorded;
            }
            // The provenance stays the creator's: replacing a string attribute removes an object from the HDF5 global
            // heap, which compacts the heap block that also holds committed paths, and a kill during that write would
            // leave them unreadable.
            if (!b.provenance.isEmpty() && !b.provenance.equals(StoreHeader.readProvenance(file))) {
                log.info("Resuming {} keeps the provenance recorded when it was created; this run's differs: {}", path,
                        b.provenance);
            }
            file.flush();
            log.info("Resuming feature store {} after {} committed rows and {} failures.", path, rows, committedFailures);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Drops rows a killed writer wrote past the last commit. */
    private void cutToCommitted(String dataset, long committed) {
        long actual = file.dims(dataset)[0];
        if (actual < committed) {
            throw new StoreFormatException(path, "The feature store " + path + " is damaged: /" + dataset + " has "
                    + actual + " rows but " + committed + " are marked committed. Delete it and rerun the extraction.");
        }
        if (actual > committed) {
            log.info("Dropping {} uncommitted rows from /{} of {}.", actual - committed, dataset, path);
            file.resize(dataset, committed);
        }
    }

    private static String describeExisting(Path path) {
        String advice = " Use IfExists.RESUME to continue it, IfExists.OVERWRITE to replace it, or write to another file.";
        try (FeatureStore existing = FeatureStore.openIncomplete(path)) {
            if (existing.isComplete()) {
                return "The feature store " + path + " already exists and is complete; use IfExists.OVERWRITE to replace it,"
                        + " or write to another file.";
            }
            return "The feature store " + path + " already exists and is incomplete (" + existing.rows() + " rows committed)."
                    + advice;
        } catch (StoreException e) {
            return "The file " + path + " already exists and is not a readable feature store (" + e.getMessage()
                    + "); use IfExists.OVERWRITE to replace it, or write to another file.";
        }
    }

    /**
     * Appends a batch of rows straight from an ND4J array. A contiguous float array in C order (including a view of
     * whole rows) is written from its own memory; anything else is copied once.
     *
     * @param features the features, shape {@code [n, featureDim]}
     * @param labels   one label per row, each in {@code [0, labelNames.size())}
     * @param paths    one input path per row; each must be new to this store
     * @throws IllegalArgumentException when shapes, labels or paths are invalid
     * @throws IllegalStateException    when the writer is closed, failed earlier, or the store is marked complete
     * @throws StoreException           when the disk lacks room for the batch (checked before anything is written; the
     *                                  store stays usable) or writing fails: the message names the reason and the rows
     *                                  committed before, which stay readable; after a failed write no more rows are taken
     */
    public synchronized void append(INDArray features, int[] labels, List<String> paths) {
        if (features == null || features.rank() != 2 || features.columns() != spec.featureDim()) {
            throw new IllegalArgumentException("Features for the store " + path + " must have shape [n, "
                    + spec.featureDim() + "], but got " + (features == null ? "null" : features.shapeInfoToString()) + ".");
        }
        int n = (int) features.rows();
        validate(n, labels, paths);
        commit(n, labels, paths, isDirectlyWritable(features) ? features : features.castTo(DataType.FLOAT).dup('c'));
    }

    /**
     * Appends a batch of rows from Java arrays.
     *
     * @param features one array of length {@code featureDim} per row
     * @param labels   one label per row, each in {@code [0, labelNames.size())}
     * @param paths    one input path per row; each must be new to this store
     * @throws IllegalArgumentException when shapes, labels or paths are invalid
     * @throws IllegalStateException    when the writer is closed or the store is marked complete
     * @throws StoreException           when writing fails
     */
    public synchronized void append(float[][] features, int[] labels, List<String> paths) {
        if (features == null) {
            throw new IllegalArgumentException("Features for the store " + path + " must not be null.");
        }
        int dim = spec.featureDim();
        for (int i = 0; i < features.length; i++) {
            if (features[i] == null || features[i].length != dim) {
                throw new IllegalArgumentException("Row " + i + " of a batch for the store " + path + " has "
                        + (features[i] == null ? "no values" : features[i].length + " values") + " but the store's feature"
                        + " dimension is " + dim + ".");
            }
        }
        validate(features.length, labels, paths);
        if (features.length == 0) {
            commit(0, labels, paths, null);
            return;
        }
        try (INDArray rows = Nd4j.createFromArray(features)) {
            commit(features.length, labels, paths, rows);
        }
    }

    private static boolean isDirectlyWritable(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)
                && !a.wasClosed();
    }

    private void validate(int n, int[] labels, List<String> paths) {
        requireWritable();
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("A batch of " + n + " rows for the store " + path + " needs " + n
                    + " labels, but got " + (labels == null ? "none" : labels.length) + ".");
        }
        if (paths == null || paths.size() != n) {
            throw new IllegalArgumentException("A batch of " + n + " rows for the store " + path + " needs " + n
                    + " paths, but got " + (paths == null ? "none" : paths.size()) + ".");
        }
        int classes = spec.labelNames().size();
        Set<String> batch = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("Label " + labels[i] + " of row " + i + " (" + paths.get(i)
                        + ") is outside [0, " + classes + ") for the store " + path + ", which has the labels "
                        + spec.labelNames() + ".");
            }
            String p = paths.get(i);
            if (p == null || p.isEmpty()) {
                throw new IllegalArgumentException("Row " + i + " of a batch for the store " + path + " has "
                        + (p == null ? "no path" : "an empty path") + ".");
            }
            if (writtenPaths.contains(p) || !batch.add(p)) {
                throw new IllegalArgumentException("The path " + p + " is already in the store " + path
                        + "; each input may be stored once (check contains() before extracting it).");
            }
        }
    }

    /**
     * Commits {@code n} rows (a C-order float array {@code [n, dim]}, or null when {@code n == 0}) with the pending
     * failures. A batch that would move the tail slot onto the one the last commit still points to is committed in
     * two steps, the first ending at a chunk boundary.
     */
    private void commit(int n, int[] labels, List<String> paths, INDArray features) {
        long main = layout.mainRows(rows, false);
        long main2 = layout.mainRows(rows + n, false);
        if (layout.staged() && rows > main && main2 > main + layout.chunkRows() && main2 < rows + n
                && layout.slotRow(main2) == layout.slotRow(main)) {
            int first = (int) (main2 - layout.chunkRows() - rows);
            commitStep(first, Arrays.copyOfRange(labels, 0, first), paths.subList(0, first), rowRange(features, 0, first));
            commitStep(n - first, Arrays.copyOfRange(labels, first, n), paths.subList(first, n),
                    rowRange(features, first, n));
        } else {
            commitStep(n, labels, paths, features);
        }
    }

    private void commitStep(int n, int[] labels, List<String> paths, INDArray features) {
        long newRows = rows + n;
        List<Failure> failures = List.copyOf(pendingFailures);
        if (n > 0) {
            requireSpaceFor(n);
        }
        try {
            write(n, labels, paths, features, newRows, failures);
        } catch (StoreException e) {
            // The file may now hold part of this batch past committed_rows; a resume cuts it off.
            writeFailure = e.getMessage();
            String system = Hdf5.systemError(e.getMessage());
            throw new StoreException(path, "Writing " + (n > 0 ? "a batch of " + n + " rows" : failures.size()
                    + " recorded failures") + " to the feature store " + path + " failed"
                    + (system != null ? ": the system reports '" + system + "'" : "") + ". The " + rows
                    + " rows committed before it are kept and stay readable; free some disk space and run the extraction"
                    + " again to resume after them. (" + e.getMessage() + ")", e);
        }
        rows = newRows;
        writtenPaths.addAll(paths);
        pendingFailures.subList(0, failures.size()).clear();
    }

    /**
     * Refuses a batch, before HDF5 writes any of it, when the disk may not hold it. HDF5 does not survive a write that
     * fails for lack of space: it can leave the file's last chunk pointing at data that was never written (committed
     * rows read back wrong) and crash the JVM at exit. Room is needed for the batch, the chunk it completes (twice,
     * with margin for compression overhead) and 1 MiB of metadata.
     */
    private void requireSpaceFor(int n) {
        long batchBytes = (long) n * spec.featureDim() * Float.BYTES;
        long chunkBytes = (long) file.chunkRows(StoreFile.FEATURES) * spec.featureDim() * Float.BYTES;
        long needed = 2 * (batchBytes + chunkBytes) + (1L << 20);
        long usable;
        try {
            usable = usableSpace.applyAsLong(path);
        } catch (IOException e) {
            log.warn("Could not read the free space of the disk holding {}: {}", path, e.toString());
            return;
        }
        if (usable < needed) {
            throw new StoreException(path, String.format(Locale.ROOT, "The disk holding the feature store %s has only"
                            + " %.1f MB free, less than the %.1f MB a batch of %d rows may need, so none of it was written."
                            + " The %d rows committed before it are kept and stay readable; free some disk space and run"
                            + " the extraction again to resume after them.", path, usable / 1e6, needed / 1e6, n, rows));
        }
    }

    private void write(int n, int[] labels, List<String> paths, INDArray features, long newRows, List<Failure> failures) {
        synchronized (Hdf5.LOCK) {
            if (n > 0) {
                writeFeatures(n, features, newRows);
                file.resize(StoreFile.LABELS, newRows);
                file.resize(StoreFile.PATHS, newRows);
                file.writeInts(StoreFile.LABELS, rows, labels);
                file.writeStrings(StoreFile.PATHS, rows, 1, paths.toArray(new String[0]));
            }
            long newFailures = committedFailures + failures.size();
            if (!failures.isEmpty()) {
                String[] cells = new String[failures.size() * 2];
                for (int i = 0; i < failures.size(); i++) {
                    cells[2 * i] = failures.get(i).path();
                    cells[2 * i + 1] = failures.get(i).reason();
                }
                file.resize(StoreFile.FAILURES, newFailures);
                file.writeStrings(StoreFile.FAILURES, committedFailures, 2, cells);
            }
            file.flush();
            afterDataFlush.run();
            file.setAttribute(StoreHeader.COMMITTED_ROWS, newRows);
            file.setAttribute(StoreHeader.COMMITTED_FAILURES, newFailures);
            file.flush();
            committedFailures = newFailures;
        }
    }

    /**
     * Writes a batch's features: rows that complete chunks go to {@code /features} (with the committed tail rows of
     * the chunk they complete), the rest to the tail slot of their chunk. A store without a tail (written before it
     * existed) takes every row in {@code /features}.
     */
    private void writeFeatures(int n, INDArray features, long newRows) {
        int dim = spec.featureDim();
        if (!layout.staged()) {
            file.resize(StoreFile.FEATURES, newRows);
            file.writeFloats(StoreFile.FEATURES, rows, n, dim, features.data().addressPointer());
            return;
        }
        long main = layout.mainRows(rows, false);
        long main2 = layout.mainRows(newRows, false);
        int toMain = (int) (main2 - rows);
        if (main2 > main) {
            file.resize(StoreFile.FEATURES, main2);
            INDArray whole = rowRange(features, 0, toMain);
            if (rows > main) {
                try (INDArray tail = readTail(main)) {
                    try (INDArray chunk = Nd4j.concat(0, tail, whole)) {
                        file.writeFloats(StoreFile.FEATURES, main, main2 - main, dim, chunk.data().addressPointer());
                    }
                }
            } else {
                file.writeFloats(StoreFile.FEATURES, main, toMain, dim, whole.data().addressPointer());
            }
        }
        if (newRows > main2) {
            int from = Math.max(0, toMain);
            INDArray rest = rowRange(features, from, n);
            file.writeFloats(StoreFile.TAIL, layout.slotRow(main2) + Math.max(rows, main2) - main2, n - from, dim,
                    rest.data().addressPointer());
        }
    }

    /** Reads the committed rows past the first {@code main} from their tail slot. */
    private INDArray readTail(long main) {
        int dim = spec.featureDim();
        INDArray tail = Nd4j.createUninitialized(DataType.FLOAT, rows - main, dim);
        file.readFloats(StoreFile.TAIL, layout.slotRow(main), rows - main, dim, tail.data().addressPointer());
        return tail;
    }

    /** Rows {@code [from, to)} of a matrix as a C-order array of its own (ND4J's row views have no buffer of their own). */
    private static INDArray rowRange(INDArray a, long from, long to) {
        if (from == 0 && to == a.rows()) {
            return a;
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, to - from, a.columns());
        return out.assign(a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()));
    }

    /**
     * Moves the tail rows into {@code /features} as its last, part-filled chunk, written once, and flushes.
     */
    private void mergeTail() {
        long main = layout.mainRows(rows, false);
        if (!layout.staged() || rows == main) {
            return;
        }
        int dim = spec.featureDim();
        synchronized (Hdf5.LOCK) {
            try (INDArray tail = readTail(main)) {
                file.resize(StoreFile.FEATURES, rows);
                file.writeFloats(StoreFile.FEATURES, main, rows - main, dim, tail.data().addressPointer());
            }
            file.flush();
        }
    }

    /**
     * Records an input that could not be turned into a row. It is committed with the next batch, or by
     * {@link #markComplete()} or {@link #close()}. A path is recorded once; later records of it are ignored.
     *
     * @param path   the input path
     * @param reason why it failed
     * @throws IllegalArgumentException when the path is empty or already stored as a row
     * @throws IllegalStateException    when the writer is closed or the store is marked complete
     */
    public synchronized void recordFailure(String path, String reason) {
        requireWritable();
        Failure f = new Failure(path, reason == null ? "" : reason);
        if (writtenPaths.contains(path)) {
            throw new IllegalArgumentException("The path " + path + " is already stored as a row of " + this.path
                    + ", so it cannot also be recorded as a failure.");
        }
        if (failedPaths.add(path)) {
            pendingFailures.add(f);
        }
    }

    /**
     * Returns the number of committed rows.
     *
     * @return rows appended so far, including those a resumed store already had
     */
    public synchronized long rows() {
        return rows;
    }

    /**
     * Returns the number of recorded failures, committed or pending.
     *
     * @return the failure count
     */
    public synchronized long failureCount() {
        return committedFailures + pendingFailures.size();
    }

    /**
     * Tells whether an input is already stored as a row (for skipping it when resuming).
     *
     * @param path the input path as it was appended
     * @return true when a committed row has this path
     */
    public synchronized boolean contains(String path) {
        return writtenPaths.contains(path);
    }

    /**
     * Returns the paths of all committed rows.
     *
     * @return an unmodifiable snapshot
     */
    public synchronized Set<String> writtenPaths() {
        return Set.copyOf(writtenPaths);
    }

    /**
     * Returns the paths recorded as failures, committed or pending.
     *
     * @return an unmodifiable snapshot
     */
    public synchronized Set<String> failedPaths() {
        return Set.copyOf(failedPaths);
    }

    /**
     * Tells whether this writer continued an existing store.
     *
     * @return true when the store existed and was resumed
     */
    public boolean isResumed() {
        return resumed;
    }

    /**
     * Returns the store file.
     *
     * @return the absolute path of the store
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the spec the rows are written with.
     *
     * @return the spec
     */
    public StoreSpec spec() {
        return spec;
    }

    /**
     * Returns the planned row count.
     *
     * @return rows plus failures the extraction planned, or -1 when unknown
     */
    public long expectedRows() {
        return expectedRows;
    }

    /**
     * Commits pending failures, then marks the store complete. After this no more rows can be appended, and
     * {@link FeatureStore#open(Path)} accepts the store.
     *
     * @throws IllegalStateException when the writer is closed
     * @throws StoreException        when writing fails
     */
    public synchronized void markComplete() {
        requireOpen();
        if (complete) {
            return;
        }
        commit(0, new int[0], List.of(), null);
        if (expectedRows >= 0 && rows + committedFailures != expectedRows) {
            log.warn("Feature store {} is marked complete with {} rows and {} failures, but {} were expected.",
                    path, rows, committedFailures, expectedRows);
        }
        // The last chunk is flushed before the store says it is complete: a kill in between leaves it incomplete.
        mergeTail();
        synchronized (Hdf5.LOCK) {
            file.setAttribute(StoreHeader.COMPLETE, 1L);
            if (layout.staged()) {
                file.deleteDataset(StoreFile.TAIL);
            }
            file.flush();
        }
        layout = new FeatureLayout(layout.chunkRows(), false);
        complete = true;
    }

    /**
     * Returns whether {@link #markComplete()} was called.
     *
     * @return true once the store is marked complete
     */
    public synchronized boolean isComplete() {
        return complete;
    }

    /**
     * Commits pending failures, flushes and closes the file, and releases the lock. The store stays incomplete unless
     * {@link #markComplete()} was called. After a failed write (see {@link #append}) nothing more is written: the
     * file is closed as far as HDF5 can, and the committed rows remain for a resume. Calling it twice is harmless.
     *
     * @throws StoreException when the final flush fails (the lock is released anyway)
     */
    @Override
    public synchronized void close() {
        if (file == null) {
            return;
        }
        if (writeFailure != null) {
            closeAfterFailure();
            return;
        }
        try {
            if (!pendingFailures.isEmpty()) {
                commit(0, new int[0], List.of(), null);
            }
            file.flush();
        } finally {
            try {
                file.close();
            } finally {
                file = null;
                lock.close();
            }
        }
    }

    /** After a failed write HDF5 cannot flush the file; closing it is attempted once and its failure only logged. */
    private void closeAfterFailure() {
        try {
            file.close();
        } catch (StoreException e) {
            log.warn("The feature store {} could not be closed cleanly after the failed write; its committed rows are"
                    + " intact and a rerun resumes after them. {}", path, e.getMessage());
        } finally {
            file = null;
            lock.close();
        }
    }

    private void requireOpen() {
        if (file == null) {
            throw new IllegalStateException("The writer of the feature store " + path + " is closed.");
        }
        if (writeFailure != null) {
            throw new IllegalStateException("The writer of the feature store " + path + " stopped after a failed write ("
                    + writeFailure + "); close it and run the extraction again to resume after the committed rows.");
        }
    }

    private void requireWritable() {
        requireOpen();
        if (complete) {
            throw new IllegalStateException("The feature store " + path + " is marked complete; no more rows or failures"
                    + " can be added.");
        }
    }

    /** Returns the file size HDF5 reports, for measurements. */
    synchronized long fileSize() {
        requireOpen();
        return file.fileSize();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.warn("Could not delete the temporary file {}: {}", p, e.getMessage());
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "FeatureStoreWriter(" + path + ", " + spec + ", rows=" + rows
                + (expectedRows >= 0 ? " of " + expectedRows : "") + ", failures=" + failureCount()
                + (resumed ? ", resumed" : "") + (file == null ? ", closed" : complete ? ", complete" : ", open") + ")";
    }

    /** Configures and opens a {@link FeatureStoreWriter}. */
    public static final class Builder {
        private Path path;
        private StoreSpec spec;
        private long expectedRows = -1;
        private IfExists ifExists = IfExists.FAIL;
        private Map<String, String> provenance = Map.of();
        private Integer chunkRows;
        private int compressionLevel = 4;

        private Builder() {
        }

        /**
         * Sets the store file (required).
         *
         * @param path e.g. {@code features/train.h5}
         * @return this builder
         */
        public Builder setPath(Path path) {
            this.path = path;
            return this;
        }

        /**
         * Sets what the rows are (required).
         *
         * @param spec the spec
         * @return this builder
         */
        public Builder setSpec(StoreSpec spec) {
            this.spec = spec;
            return this;
        }

        /**
         * Sets how many inputs the extraction plans to process (rows plus failures); default unknown.
         *
         * @param expectedRows at least 0, or -1 for unknown
         * @return this builder
         */
        public Builder optExpectedRows(long expectedRows) {
            this.expectedRows = expectedRows;
            return this;
        }

        /**
         * Sets what to do when the file exists; default {@link IfExists#FAIL}.
         *
         * @param ifExists the policy
         * @return this builder
         */
        public Builder optIfExists(IfExists ifExists) {
            this.ifExists = ifExists;
            return this;
        }

        /**
         * Sets free-form provenance (tool versions, source folder, command line) stored as a JSON object when the store
         * is created; a resumed store keeps the provenance it was created with.
         *
         * @param provenance string keys and values
         * @return this builder
         */
        public Builder optProvenance(Map<String, String> provenance) {
            this.provenance = provenance == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
            return this;
        }

        /**
         * Sets the rows per HDF5 chunk of {@code /features}. By default a chunk holds about 512 KiB (64 rows of 2048
         * floats, at most 256 rows); it is capped at the expected rows.
         *
         * @param chunkRows at least 1
         * @return this builder
         */
        public Builder optChunkRows(int chunkRows) {
            this.chunkRows = chunkRows;
            return this;
        }

        /**
         * Sets the gzip level for {@code /features} and {@code /labels} (with the shuffle filter); 0 turns compression
         * off. Default 4.
         *
         * @param level 0 to 9
         * @return this builder
         */
        public Builder optCompressionLevel(int level) {
            this.compressionLevel = level;
            return this;
        }

        /**
         * Validates the configuration, takes the store's lock and creates, resumes or replaces the store.
         *
         * @return the open writer
         * @throws IllegalArgumentException when a setting is missing or invalid
         * @throws StoreException           when the store cannot be created or resumed (see the factory methods)
         */
        public FeatureStoreWriter build() {
            if (path == null) {
                throw new MissingSettingException("A feature store writer needs the store's path, but none was set.");
            }
            if (spec == null) {
                throw new IllegalArgumentException("A feature store writer for " + path + " needs a StoreSpec, but none was set.");
            }
            if (ifExists == null || provenance == null) {
                throw new IllegalArgumentException("The IfExists policy and provenance of the writer for " + path
                        + " must not be null.");
            }
            if (expectedRows < -1) {
                throw new IllegalArgumentException("Expected rows must be at least 0, or -1 for unknown, but got "
                        + expectedRows + ".");
            }
            if (chunkRows != null && chunkRows < 1) {
                throw new IllegalArgumentException("Chunk rows must be at least 1, but got " + chunkRows + ".");
            }
            if (compressionLevel < 0 || compressionLevel > 9) {
                throw new IllegalArgumentException("The compression level must be between 0 and 9, but got "
                        + compressionLevel + ".");
            }
            Path abs = path.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                throw new IllegalArgumentException("The feature store path " + abs + " is a directory; give a file name"
                        + " such as " + abs.resolve("train.h5") + ".");
            }
            StoreLock lock = StoreLock.acquire(abs);
            try {
                return new FeatureStoreWriter(this, abs, lock);
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
        }

        @Override
        public String toString() {
            return "FeatureStoreWriter.Builder(path=" + path + ", spec=" + spec + ", expectedRows=" + expectedRows
                    + ", ifExists=" + ifExists + ", chunkRows=" + (chunkRows == null ? "default" : chunkRows)
                    + ", compressionLevel=" + compressionLevel + ")";
        }
    }
}
