/**
 * HDF5 feature stores: the activations a pretrained network computed for a set of images, one row per image, written
 * once and then read many times to train and evaluate heads without running the network again.
 *
 * <h2>Layout</h2>
 * One HDF5 file per split (e.g. {@code train.h5}, {@code test.h5}) holds
 * <ul>
 *   <li>{@code /features}: float32 {@code [N, D]}, chunked (about 512 KiB per chunk), shuffle + gzip 4, unlimited N;</li>
 *   <li>{@code /labels}: int32 {@code [N]}, indices into the {@code label_names} attribute;</li>
 *   <li>{@code /paths}: variable-length UTF-8 strings {@code [N]}, the input of each row;</li>
 *   <li>{@code /failures}: variable-length UTF-8 strings {@code [M, 2]}, path and reason of each input that failed;</li>
 *   <li>root attributes: {@code format}, {@code format_version}, the {@link dev.transferkit.store.StoreSpec} fields,
 *       {@code created}, {@code complete}, {@code expected_rows}, {@code committed_rows}, {@code committed_failures}
 *       and a free-form {@code provenance} JSON object.</li>
 * </ul>
 * Rows are in the order the writer appended them. {@code transfer-extract/STORE-FORMAT.md} specifies every field, so
 * that other tools (h5py, for example) can read a store.
 *
 * <h2>Writing and resuming</h2>
 * {@link dev.transferkit.store.FeatureStoreWriter} appends batches. Each batch is written and flushed before the
 * {@code committed_rows} attribute is raised and flushed: only committed rows count, so a writer killed at any moment
 * leaves a store that resumes ({@link dev.transferkit.store.FeatureStoreWriter#openForResume}) with no missing and no
 * duplicated rows. A resumed store must have been written with an equal spec
 * ({@link dev.transferkit.store.StoreMismatchException} otherwise). A lock file {@code <store>.lock} keeps a second
 * writer out, in the same or another process.
 *
 * <h2>Reading</h2>
 * {@link dev.transferkit.store.FeatureStore} opens complete stores (incomplete ones only on request), reads row
 * ranges, or loads everything within a memory budget. {@link dev.transferkit.store.StoreDataSetIterator} feeds DL4J
 * with shuffled mini-batches from disk through a bounded buffer.
 *
 * <h2>HDF5</h2>
 * The HDF5 library (through org.bytedeco's C API bindings) is not thread-safe: every call in this package holds one
 * global lock, HDF5's automatic error printing is off, and failed calls become {@link dev.transferkit.store.StoreException}s
 * whose message names the file and quotes HDF5's own description. Files are written with the oldest compatible HDF5
 * format, so HDF5 1.8/1.10 tools (e.g. Debian's h5py) read them.
 */
package dev.transferkit.store;
