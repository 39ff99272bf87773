package dev.transferkit.store;

import org.bytedeco.hdf5.global.hdf5;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongToIntFunction;

import static org.bytedeco.hdf5.global.hdf5.*;

/**
 * One open HDF5 file with the feature store layout: typed access to its root attributes and to its four datasets
 * ({@value #FEATURES}, {@value #LABELS}, {@value #PATHS}, {@value #FAILURES}). It knows nothing about specs or
 * commit rules; {@link FeatureStoreWriter} and {@link FeatureStore} build on it. Every method holds {@link Hdf5#LOCK}.
 */
final class StoreFile implements AutoCloseable {
    static final String FEATURES = "features";
    static final String LABELS = "labels";
    static final String PATHS = "paths";
    static final String FAILURES = "failures";
    /**
     * While a store is incomplete, the committed rows past the last whole chunk of {@value #FEATURES}: two slots of one
     * chunk each, uncompressed and contiguous, so rewriting them never moves data that a commit still points to.
     */
    static final String TAIL = "features_tail";

    private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final int LIST_CHUNK = 1024;
    private static final int FAILURE_CHUNK = 64;

    private final Path path;
    private final boolean writable;
    private final Map<String, Long> datasets = new LinkedHashMap<>();
    private long fileId;
    private long stringType = -1;
    private long featureAccess = -1;

    private StoreFile(Path path, long fileId, boolean writable) {
        this.path = path;
        this.fileId = fileId;
        this.writable = writable;
        try {
            stringType = check(H5Tcopy(H5T_C_S1_g()), "create the string type");
            check(H5Tset_size(stringType, H5T_VARIABLE), "create the string type");
            check(H5Tset_cset(stringType, H5T_CSET_UTF8), "create the string type");
        } catch (StoreException e) {
            close();
            throw e;
        }
    }

    /**
     * Creates a new, empty store file with all four datasets and no attributes, replacing any file at {@code file}.
     *
     * @param file         the file to create
     * @param dim          the feature dimension
     * @param chunkRows    rows per chunk of {@value #FEATURES}
     * @param deflateLevel 0 for no compression, else the gzip level (1-9) used with the shuffle filter
     * @return the open file, writable
     */
    static StoreFile create(Path file, int dim, int chunkRows, int deflateLevel) {
        synchronized (Hdf5.LOCK) {
            Hdf5.init();
            long fid = Hdf5.check(H5Fcreate(file.toString(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), file,
                    "create the HDF5 file");
            StoreFile f = new StoreFile(file, fid, true);
            try {
                f.createDataset(FEATURES, H5T_IEEE_F32LE_g(), new long[]{0, dim}, new long[]{chunkRows, dim}, deflateLevel);
                f.createContiguous(TAIL, H5T_IEEE_F32LE_g(), new long[]{2L * chunkRows, dim});
                // Uncompressed, so that a chunk rewritten by a later commit stays where the last commit put it.
                f.createDataset(LABELS, H5T_STD_I32LE_g(), new long[]{0}, new long[]{LIST_CHUNK}, 0);
                f.createDataset(PATHS, f.stringType, new long[]{0}, new long[]{LIST_CHUNK}, 0);
                f.createDataset(FAILURES, f.stringType, new long[]{0, 2}, new long[]{FAILURE_CHUNK, 2}, 0);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }
    }

    /**
     * Opens an existing file, telling a missing file, a non-HDF5 file and a damaged HDF5 file apart.
     *
     * @param file     the file
     * @param writable whether to open it read-write
     * @return the open file
     * @throws StoreException       when the file does not exist or is not a regular file
     * @throws StoreLockedException when another writer holds the store's lock
     * @throws StoreFormatException when it is not HDF5 or HDF5 cannot open it
     */
    static StoreFile open(Path file, boolean writable) {
        if (!Files.exists(file)) {
            throw new StoreException(file, "The feature store " + file + " does not exist.");
        }
        if (!Files.isRegularFile(file)) {
            throw new StoreException(file, "The feature store " + file + " is not a regular file.");
        }
        synchronized (Hdf5.LOCK) {
            Hdf5.init();
            long fid = H5Fopen(file.toString(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
            if (fid < 0) {
                String hdf5 = Hdf5.lastError();
                if (!hasHdf5Signature(file)) {
                    throw new StoreFormatException(file, "The file " + file
                            + " is not an HDF5 file (it has no HDF5 signature), so it is not a TransferKit feature store.");
                }
                if (!writable && StoreLock.isHeld(file)) {
                    throw new StoreLockedException(file, "The feature store " + file
                            + " cannot be read while a writer holds its lock file " + StoreLock.lockFileOf(file)
                            + "; wait for the extraction to finish.");
                }
                throw new StoreFormatException(file, "The file " + file + " is an HDF5 file but cannot be opened: HDF5 reports "
                        + hdf5 + ". It is probably truncated or corrupt; delete it and rerun the extraction.");
            }
            return new StoreFile(file, fid, writable);
        }
    }

    private static boolean hasHdf5Signature(Path file) {
        // The superblock may sit at 0, 512, 1024, 2048, ... bytes (after a user block).
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            long pos = 0;
            for (long at = 0; at + SIGNATURE.length <= size; at = at == 0 ? 512 : at * 2) {
                in.skipNBytes(at - pos);
                byte[] head = in.readNBytes(SIGNATURE.length);
                pos = at + head.length;
                if (Arrays.equals(head, SIGNATURE)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Returns the file path.
     *
     * @return the path this file was opened or created with
     */
    Path path() {
        return path;
    }

    // ---------------------------------------------------------------- attributes

    boolean hasAttribute(String name) {
        synchronized (Hdf5.LOCK) {
            return check(H5Aexists(fileId, name), "look up the attribute '" + name + "'") > 0;
        }
    }

    /**
     * Reads a string attribute.
     *
     * @throws StoreFormatException when it is missing or not a string
     */
    String stringAttribute(String name) {
        synchronized (Hdf5.LOCK) {
            long attr = openAttribute(name);
            long type = -1;
            long space = -1;
            try {
                type = check(H5Aget_type(attr), "read the attribute '" + name + "'");
                if (H5Tget_class(type) != H5T_STRING) {
                    throw new StoreFormatException(path, "The attribute '" + name + "' of the feature store " + path
                            + " should be a string but is not; the file is damaged or was not written by TransferKit.");
                }
                space = check(H5Aget_space(attr), "read the attribute '" + name + "'");
                if (H5Tis_variable_str(type) > 0) {
                    PointerPointer<BytePointer> buf = new PointerPointer<>(1L);
                    check(H5Aread(attr, stringType, buf), "read the attribute '" + name + "'");
                    try {
                        return utf8(buf.get(BytePointer.class, 0));
                    } finally {
                        H5Treclaim(stringType, space, H5P_DEFAULT, buf);
                        buf.close();
                    }
                }
                long size = H5Tget_size(type);
                try (BytePointer buf = new BytePointer(size + 1)) {
                    buf.fill(0);
                    check(H5Aread(attr, type, buf), "read the attribute '" + name + "'");
                    return utf8(buf);
                }
            } finally {
                close(space, hdf5::H5Sclose);
                close(type, hdf5::H5Tclose);
                close(attr, hdf5::H5Aclose);
            }
        }
    }

    /**
     * Reads an integer attribute.
     *
     * @throws StoreFormatException when it is missing or not an integer
     */
    long longAttribute(String name) {
        synchronized (Hdf5.LOCK) {
            long attr = openAttribute(name);
            long type = -1;
            try {
                type = check(H5Aget_type(attr), "read the attribute '" + name + "'");
                if (H5Tget_class(type) != H5T_INTEGER) {
                    throw new StoreFormatException(path, "The attribute '" + name + "' of the feature store " + path
                            + " should be an integer but is not; the file is damaged or was not written by TransferKit.");
                }
                try (LongPointer buf = new LongPointer(1)) {
                    check(H5Aread(attr, H5T_NATIVE_INT64_g(), buf), "read the attribute '" + name + "'");
                    return buf.get(0);
                }
            } finally {
                close(type, hdf5::H5Tclose);
                close(attr, hdf5::H5Aclose);
            }
        }
    }

    /** Writes (or replaces) a variable-length UTF-8 string attribute. */
    void setAttribute(String name, String value) {
        synchronized (Hdf5.LOCK) {
            long attr = replaceAttribute(name, stringType);
            try (BytePointer s = new BytePointer(value, StandardCharsets.UTF_8);
                 PointerPointer<BytePointer> buf = new PointerPointer<BytePointer>(1L).put(0, s)) {
                check(H5Awrite(attr, stringType, buf), "write the attribute '" + name + "'");
            } finally {
                H5Aclose(attr);
            }
        }
    }

    /** Writes (or overwrites in place) a 64-bit integer attribute. */
    void setAttribute(String name, long value) {
        synchronized (Hdf5.LOCK) {
            long attr = replaceAttribute(name, H5T_STD_I64LE_g());
            try (LongPointer buf = new LongPointer(1)) {
                buf.put(0, value);
                check(H5Awrite(attr, H5T_NATIVE_INT64_g(), buf), "write the attribute '" + name + "'");
            } finally {
                H5Aclose(attr);
            }
        }
    }

    private long openAttribute(String name) {
        if (!hasAttribute(name)) {
            throw new StoreFormatException(path, "The feature store " + path + " has no attribute '" + name
                    + "'; the file is damaged or was not written by TransferKit.");
        }
        return check(H5Aopen(fileId, name, H5P_DEFAULT), "open the attribute '" + name + "'");
    }

    /** Opens an attribute for writing: an existing one of the same type class is reused, one of another class is recreated. */
    private long replaceAttribute(String name, long fileType) {
        if (hasAttribute(name)) {
            long attr = check(H5Aopen(fileId, name, H5P_DEFAULT), "open the attribute '" + name + "'");
            long type = H5Aget_type(attr);
            boolean sameClass = type >= 0 && H5Tget_class(type) == H5Tget_class(fileType);
            close(type, hdf5::H5Tclose);
            if (sameClass) {
                return attr;
            }
            H5Aclose(attr);
            check(H5Adelete(fileId, name), "replace the attribute '" + name + "'");
        }
        long space = check(H5Screate(H5S_SCALAR), "create the attribute '" + name + "'");
        try {
            return check(H5Acreate2(fileId, name, fileType, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create the attribute '" + name + "'");
        } finally {
            H5Sclose(space);
        }
    }

    // ---------------------------------------------------------------- datasets

    private void createDataset(String name, long fileType, long[] dims, long[] chunk, int deflateLevel) {
        long[] max = dims.clone();
        max[0] = H5S_UNLIMITED;
        long space = check(H5Screate_simple(dims.length, dims, max), "create the dataset /" + name);
        long plist = -1;
        try {
            plist = check(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g()), "create the dataset /" + name);
            check(H5Pset_chunk(plist, chunk.length, chunk), "set the chunking of /" + name);
            if (deflateLevel > 0) {
                check(H5Pset_shuffle(plist), "set the shuffle filter of /" + name);
                check(H5Pset_deflate(plist, deflateLevel), "set the compression of /" + name);
            }
            long ds = check(H5Dcreate2(fileId, name, fileType, space, H5P_DEFAULT, plist, accessList(name)),
                    "create the dataset /" + name);
            datasets.put(name, ds);
        } finally {
            close(plist, hdf5::H5Pclose);
            close(space, hdf5::H5Sclose);
        }
    }

    private void createContiguous(String name, long fileType, long[] dims) {
        long space = check(H5Screate_simple(dims.length, dims, null), "create the dataset /" + name);
        try {
            datasets.put(name, check(H5Dcreate2(fileId, name, fileType, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "create the dataset /" + name));
        } finally {
            close(space, hdf5::H5Sclose);
        }
    }

    /** Removes a dataset from the file (its space is not reclaimed). */
    void deleteDataset(String name) {
        synchronized (Hdf5.LOCK) {
            Long id = datasets.remove(name);
            if (id != null) {
                H5Dclose(id);
            }
            check(H5Ldelete(fileId, name, H5P_DEFAULT), "delete the dataset /" + name);
        }
    }

    boolean hasDataset(String name) {
        synchronized (Hdf5.LOCK) {
            return datasets.containsKey(name) || check(H5Lexists(fileId, name, H5P_DEFAULT), "look up /" + name) > 0;
        }
    }

    /** Returns the open dataset id, opening it on first use. */
    private long dataset(String name) {
        Long id = datasets.get(name);
        if (id != null) {
            return id;
        }
        if (!hasDataset(name)) {
            throw new StoreFormatException(path, "The feature store " + path + " has no dataset /" + name
                    + "; the file is damaged or was not written by TransferKit.");
        }
        long ds = check(H5Dopen2(fileId, name, accessList(name)), "open the dataset /" + name);
        datasets.put(name, ds);
        return ds;
    }

    /** A chunk cache big enough for several feature chunks, so batch appends do not re-read partly written chunks. */
    private long accessList(String name) {
        if (!FEATURES.equals(name)) {
            return H5P_DEFAULT;
        }
        if (featureAccess < 0) {
            featureAccess = check(H5Pcreate(H5P_CLS_DATASET_ACCESS_ID_g()), "configure the chunk cache");
            check(H5Pset_chunk_cache(featureAccess, 521, 64L << 20, 1.0), "configure the chunk cache");
        }
        return featureAccess;
    }

    /**
     * Returns a dataset's current dimensions.
     *
     * @throws StoreFormatException when the dataset is missing
     */
    long[] dims(String name) {
        synchronized (Hdf5.LOCK) {
            long space = check(H5Dget_space(dataset(name)), "read the shape of /" + name);
            try {
                int rank = (int) check(H5Sget_simple_extent_ndims(space), "read the shape of /" + name);
                long[] dims = new long[rank];
                check(H5Sget_simple_extent_dims(space, dims, null), "read the shape of /" + name);
                return dims;
            } finally {
                H5Sclose(space);
            }
        }
    }

    /** Returns the rows per chunk of a chunked dataset. */
    int chunkRows(String name) {
        synchronized (Hdf5.LOCK) {
            long plist = check(H5Dget_create_plist(dataset(name)), "read the chunking of /" + name);
            try {
                long[] chunk = new long[2];
                check(H5Pget_chunk(plist, chunk.length, chunk), "read the chunking of /" + name);
                return (int) chunk[0];
            } finally {
                H5Pclose(plist);
            }
        }
    }

    /**
     * Returns where the chunk holding a row lies in the file, as {@code [address, stored bytes]}; tests use it to
     * check that a committed chunk is never rewritten.
     */
    long[] chunkLocation(String name, long row) {
        synchronized (Hdf5.LOCK) {
            long[] dims = dims(name);
            long[] offset = new long[dims.length];
            offset[0] = row / chunkRows(name) * chunkRows(name);
            int[] mask = new int[1];
            long[] address = new long[1];
            long[] size = new long[1];
            check(H5Dget_chunk_info_by_coord(dataset(name), offset, mask, address, size),
                    "locate the chunk of row " + row + " of /" + name);
            return new long[]{address[0], size[0]};
        }
    }

    /** Returns the HDF5 type class of a dataset's elements (e.g. {@code H5T_FLOAT}). */
    int typeClass(String name) {
        synchronized (Hdf5.LOCK) {
            long type = check(H5Dget_type(dataset(name)), "read the type of /" + name);
            try {
                return H5Tget_class(type);
            } finally {
                H5Tclose(type);
            }
        }
    }

    /** Grows or shrinks a dataset's first dimension. */
    void resize(String name, long rows) {
        synchronized (Hdf5.LOCK) {
            long[] dims = dims(name);
            dims[0] = rows;
            check(H5Dset_extent(dataset(name), dims), "resize /" + name + " to " + rows + " rows");
        }
    }

    /** Writes {@code rows x cols} native floats from {@code data} at row {@code row} of a 2-D dataset. */
    void writeFloats(String name, long row, long rows, long cols, Pointer data) {
        transfer(name, H5T_NATIVE_FLOAT_g(), new long[]{row, 0}, new long[]{rows, cols}, data, true);
    }

    /** Reads {@code rows x cols} native floats at row {@code row} of a 2-D dataset into {@code data}. */
    void readFloats(String name, long row, long rows, long cols, Pointer data) {
        transfer(name, H5T_NATIVE_FLOAT_g(), new long[]{row, 0}, new long[]{rows, cols}, data, false);
    }

    /** Writes ints at row {@code row} of a 1-D dataset. */
    void writeInts(String name, long row, int[] values) {
        try (IntPointer buf = new IntPointer(values)) {
            transfer(name, H5T_NATIVE_INT32_g(), new long[]{row}, new long[]{values.length}, buf, true);
        }
    }

    /** Reads {@code count} ints at row {@code row} of a 1-D dataset. */
    int[] readInts(String name, long row, int count) {
        int[] out = new int[count];
        try (IntPointer buf = new IntPointer((long) Math.max(1, count))) {
            transfer(name, H5T_NATIVE_INT32_g(), new long[]{row}, new long[]{count}, buf, false);
            buf.get(out);
        }
        return out;
    }

    /** Writes strings (row-major, {@code cols} per row) at row {@code row} of a 1-D ({@code cols == 1}) or 2-D dataset. */
    void writeStrings(String name, long row, int cols, String[] values) {
        long rows = values.length / cols;
        BytePointer[] bytes = new BytePointer[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = new BytePointer(values[i], StandardCharsets.UTF_8);
        }
        try (PointerPointer<BytePointer> buf = new PointerPointer<>(Math.max(1, values.length))) {
            for (int i = 0; i < bytes.length; i++) {
                buf.put(i, bytes[i]);
            }
            transfer(name, stringType, cols == 1 ? new long[]{row} : new long[]{row, 0},
                    cols == 1 ? new long[]{rows} : new long[]{rows, cols}, buf, true);
        } finally {
            for (BytePointer b : bytes) {
                b.close();
            }
        }
    }

    /** Reads {@code rows} rows of strings ({@code cols} per row, row-major) at row {@code row}. */
    String[] readStrings(String name, long row, int rows, int cols) {
        String[] out = new String[rows * cols];
        if (out.length == 0) {
            return out;
        }
        long[] count = cols == 1 ? new long[]{rows} : new long[]{rows, cols};
        synchronized (Hdf5.LOCK) {
            try (PointerPointer<BytePointer> buf = new PointerPointer<>(out.length)) {
                transfer(name, stringType, cols == 1 ? new long[]{row} : new long[]{row, 0}, count, buf, false);
                long memSpace = check(H5Screate_simple(count.length, count, null), "read strings from /" + name);
                try {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = utf8(buf.get(BytePointer.class, i));
                    }
                } finally {
                    H5Treclaim(stringType, memSpace, H5P_DEFAULT, buf);
                    H5Sclose(memSpace);
                }
            }
        }
        return out;
    }

    private void transfer(String name, long memType, long[] start, long[] count, Pointer data, boolean write) {
        if (Arrays.stream(count).anyMatch(c -> c == 0)) {
            return;
        }
        String what = (write ? "write " : "read ") + Arrays.toString(count) + " values at " + Arrays.toString(start)
                + (write ? " to /" : " from /") + name;
        synchronized (Hdf5.LOCK) {
            long ds = dataset(name);
            long fileSpace = check(H5Dget_space(ds), what);
            long memSpace = -1;
            try {
                check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, null, count, null), what);
                memSpace = check(H5Screate_simple(count.length, count, null), what);
                if (write) {
                    check(H5Dwrite(ds, memType, memSpace, fileSpace, H5P_DEFAULT, data), what);
                } else {
                    check(H5Dread(ds, memType, memSpace, fileSpace, H5P_DEFAULT, data), what);
                }
            } finally {
                close(memSpace, hdf5::H5Sclose);
                close(fileSpace, hdf5::H5Sclose);
            }
        }
    }

    /**
     * Describes how a dataset is stored on disk.
     *
     * @param chunk   the chunk dimensions
     * @param filters the filter pipeline in order, as {@code name -> parameters} (e.g. {@code deflate -> [4]})
     */
    record Layout(long[] chunk, Map<String, int[]> filters) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("chunk " + Arrays.toString(chunk));
            filters.forEach((k, v) -> sb.append(", ").append(k).append(Arrays.toString(v)));
            return sb.toString();
        }
    }

    /** Reads a dataset's creation property list: its chunking and filters. */
    Layout layout(String name) {
        synchronized (Hdf5.LOCK) {
            long plist = check(H5Dget_create_plist(dataset(name)), "read the storage layout of /" + name);
            try {
                int rank = dims(name).length;
                long[] chunk = new long[rank];
                check(H5Pget_chunk(plist, rank, chunk), "read the chunking of /" + name);
                Map<String, int[]> filters = new LinkedHashMap<>();
                int n = (int) check(H5Pget_nfilters(plist), "read the filters of /" + name);
                for (int i = 0; i < n; i++) {
                    try (IntPointer flags = new IntPointer(1); SizeTPointer nvalues = new SizeTPointer(1);
                         IntPointer values = new IntPointer(8); BytePointer filterName = new BytePointer(256);
                         IntPointer config = new IntPointer(1)) {
                        nvalues.put(0, 8);
                        int id = (int) check(H5Pget_filter2(plist, i, flags, nvalues, values, 256, filterName, config),
                                "read the filters of /" + name);
                        int[] params = new int[(int) nvalues.get(0)];
                        values.get(params);
                        filters.put(id == H5Z_FILTER_DEFLATE ? "deflate" : id == H5Z_FILTER_SHUFFLE ? "shuffle"
                                : "filter-" + id, params);
                    }
                }
                return new Layout(chunk, filters);
            } finally {
                H5Pclose(plist);
            }
        }
    }

    /** Writes all buffered data and metadata of the file to disk. */
    void flush() {
        synchronized (Hdf5.LOCK) {
            check(H5Fflush(fileId, H5F_SCOPE_GLOBAL), "flush the file");
        }
    }

    /** Returns the size HDF5 reports for the file, in bytes. */
    long fileSize() {
        synchronized (Hdf5.LOCK) {
            long[] size = new long[1];
            check(H5Fget_filesize(fileId, size), "read the file size");
            return size[0];
        }
    }

    boolean isWritable() {
        return writable;
    }

    /** Closes every dataset, type, property list and the file; safe to call twice. */
    @Override
    public void close() {
        synchronized (Hdf5.LOCK) {
            for (long ds : datasets.values()) {
                H5Dclose(ds);
            }
            datasets.clear();
            if (featureAccess >= 0) {
                H5Pclose(featureAccess);
                featureAccess = -1;
            }
            if (stringType >= 0) {
                H5Tclose(stringType);
                stringType = -1;
            }
            if (fileId >= 0) {
                long id = fileId;
                fileId = -1;
                check(H5Fclose(id), "close the file");
            }
        }
    }

    private long check(long result, String what) {
        return Hdf5.check(result, path, what);
    }

    private static String utf8(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString(StandardCharsets.UTF_8);
    }

    /** Closes an HDF5 id if it was opened (ids below zero never were). */
    private static void close(long id, LongToIntFunction closer) {
        if (id >= 0) {
            closer.applyAsInt(id);
        }
    }

    @Override
    public String toString() {
        return "StoreFile(" + path + (writable ? ", read-write" : ", read-only") + (fileId < 0 ? ", closed" : "") + ")";
    }
}
