package dev.transferkit.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Stores written by TransferKit before compressed chunks were written once (commit 76db5ab, format version 1: labels
 * compressed, no {@code /features_tail}) still read, and an incomplete one resumes to the rows of an uninterrupted run.
 * The fixtures in {@code src/test/resources/fixtures/v1} were written by that version: 40 rows of dimension 24 in
 * batches of 7 with 16-row chunks (and one failure), and 21 rows left incomplete.
 */
class OlderStoresTest {
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures/v1");
    private static final int DIM = 24;

    @TempDir
    Path dir;

    @Test
    void aCompleteStoreOfTheFirstFormatReads() {
        try (FeatureStore s = FeatureStore.open(FIXTURES.resolve("store-v1-complete.h5"))) {
            assertEquals(TestStores.spec(DIM), s.spec());
            assertEquals(40, s.rows());
            assertEquals(Nd4j.createFromArray(TestStores.features(0, 40, DIM)), s.readFeatures(0, 40));
            assertArrayEquals(TestStores.labels(0, 40), s.readLabels(0, 40));
            assertEquals(TestStores.paths(0, 40), s.readPaths(0, 40));
            assertEquals("/data/kaputt.jpg", s.failures().get(0).path());
        }
    }

    @Test
    void anIncompleteStoreOfTheFirstFormatResumes() throws Exception {
        Path store = Files.copy(FIXTURES.resolve("store-v1-incomplete.h5"), dir.resolve("old.h5"));
        try (FeatureStore partial = FeatureStore.openIncomplete(store)) {
            assertEquals(21, partial.rows());
            assertEquals(Nd4j.createFromArray(TestStores.features(0, 21, DIM)), partial.readFeatures(0, 21));
        }
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(store, TestStores.spec(DIM))) {
            assertEquals(21, w.rows());
            TestStores.appendRows(w, 21, 40, 7, DIM);
            w.markComplete();
        }
        try (StoreFile f = StoreFile.open(store, false)) {
            assertFalse(f.hasDataset(StoreFile.TAIL), "an old store goes on in its own layout");
        }
        FeatureStoreWriterTest.assertSameRows(TestStores.writeComplete(dir.resolve("reference.h5"), 40, DIM, 7), store);
    }
}
