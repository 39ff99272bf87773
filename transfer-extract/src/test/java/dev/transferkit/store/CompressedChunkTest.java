package dev.transferkit.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compressed chunk holding committed rows is never written again: HDF5 moves a chunk that grows and may put the new
 * copy over the old one, so a process killed in that flush would leave committed rows unreadable ("inflate() failed").
 */
class CompressedChunkTest {
    private static final int DIM = 24;
    private static final int CHUNK = 8;
    private static final int[] BATCHES = {3, 5, 1, 20, 2, 7, 9, 16, 4, 17, 6};

    @TempDir
    Path dir;

    @Test
    void committedChunksKeepTheirPlaceAndIncompleteStoresReadTheirTail() {
        Path file = dir.resolve("chunks.h5");
        Map<Long, long[]> committed = new HashMap<>();
        long r = 0;
        int step = 0;
        while (step < BATCHES.length) {
            // Each writer takes a few batches and is closed, so that resuming is exercised at every tail size.
            try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(file).setSpec(TestStores.spec(DIM))
                    .optIfExists(FeatureStoreWriter.IfExists.RESUME).optChunkRows(CHUNK).build()) {
                assertEquals(r, w.rows());
                for (int k = 0; k < 3 && step < BATCHES.length; k++, step++) {
                    int n = BATCHES[step];
                    w.append(TestStores.features(r, n, DIM), TestStores.labels(r, n), TestStores.paths(r, n));
                    r += n;
                    checkChunksUnmoved(file, committed);
                }
            }
            checkReadable(file, r);
        }
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            w.markComplete();
        }
        try (StoreFile f = StoreFile.open(file, false)) {
            assertFalse(f.hasDataset(StoreFile.TAIL), "a complete store has all its rows in /features");
            assertEquals(r, f.dims(StoreFile.FEATURES)[0]);
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(Nd4j.createFromArray(TestStores.features(0, (int) r, DIM)), store.readFeatures(0, (int) r));
            assertArrayEquals(TestStores.labels(0, (int) r), store.readLabels(0, (int) r));
        }
    }

    /** Reads the store as it is between writers, while another handle keeps nothing open. */
    private static void checkReadable(Path file, long rows) {
        try (FeatureStore store = FeatureStore.openIncomplete(file)) {
            assertEquals(rows, store.rows());
            assertEquals(Nd4j.createFromArray(TestStores.features(0, (int) rows, DIM)), store.readFeatures(0, (int) rows));
            long from = Math.max(0, rows - CHUNK - 3);
            assertEquals(Nd4j.createFromArray(TestStores.features(from, (int) (rows - from), DIM)),
                    store.readFeatures(from, (int) (rows - from)), "a range across /features and the tail");
        }
        try (StoreFile f = StoreFile.open(file, false)) {
            assertEquals(0, f.dims(StoreFile.FEATURES)[0] % CHUNK, "an incomplete store holds only whole chunks");
        }
    }

    private static void checkChunksUnmoved(Path file, Map<Long, long[]> seen) {
        try (StoreFile f = StoreFile.open(file, false)) {
            long chunks = f.dims(StoreFile.FEATURES)[0] / CHUNK;
            for (long c = 0; c < chunks; c++) {
                long[] where = f.chunkLocation(StoreFile.FEATURES, c * CHUNK);
                long[] before = seen.putIfAbsent(c, where);
                if (before != null) {
                    assertArrayEquals(before, where, "chunk " + c + " was rewritten after it was committed");
                }
            }
            assertTrue(chunks > 0 || seen.isEmpty());
        }
    }
}
