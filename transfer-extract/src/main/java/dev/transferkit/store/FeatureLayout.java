package dev.transferkit.store;

/**
 * Where a store's committed feature rows lie. Compressed chunks of {@code /features} are written once and never
 * rewritten: HDF5 moves a compressed chunk that grows and may reuse its old place in the same flush, so a process killed
 * during that flush would leave committed rows pointing at overwritten bytes. While a store is incomplete,
 * {@code /features} therefore holds only whole chunks, and the committed rows past them sit in one of the two slots of
 * {@code /features_tail}, chosen by the chunk they belong to. A complete store (and any store written before the tail
 * existed) has all its rows in {@code /features}.
 *
 * @param chunkRows rows per chunk of {@code /features}
 * @param staged    whether the file has a {@code /features_tail}
 */
record FeatureLayout(int chunkRows, boolean staged) {

    static FeatureLayout of(StoreFile file) {
        return new FeatureLayout(file.chunkRows(StoreFile.FEATURES), file.hasDataset(StoreFile.TAIL));
    }

    /** Returns how many of {@code committed} rows lie in {@code /features}. */
    long mainRows(long committed, boolean complete) {
        return !staged || complete ? committed : committed / chunkRows * chunkRows;
    }

    /** Returns the first row of the tail slot that holds the rows following {@code mainRows} whole-chunk rows. */
    long slotRow(long mainRows) {
        return mainRows / chunkRows % 2 * chunkRows;
    }
}
