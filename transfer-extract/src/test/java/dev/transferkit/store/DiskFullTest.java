package dev.transferkit.store;

import dev.transferkit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A disk that fills up mid-extraction: the batch that does not fit is refused before HDF5 writes any of it, with a
 * message naming the store, the free space and what to do; the rows committed before stay readable, and a rerun with
 * room to spare resumes into exactly the rows of an uninterrupted run. Simulated in-process through the writer's
 * free-space probe, and for real on a tiny tmpfs where the test may mount one (root).
 */
class DiskFullTest {
    private static final int DIM = 64;
    private static final int ROWS = 8000;
    private static final int BATCH = 100;

    @TempDir
    Path dir;

    @Test
    void aBatchThatDoesNotFitIsRefusedAndTheStoreResumesLater() {
        Path file = dir.resolve("full.h5");
        long committed = 1200;
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), ROWS)) {
            w.usableSpace = f -> w.rows() < committed ? Long.MAX_VALUE : 700_000;
            StoreException e = assertThrows(StoreException.class, () -> TestStores.appendRows(w, 0, ROWS, BATCH, DIM));
            assertEquals("The disk holding the feature store " + file + " has only 0.7 MB free, less than the 1.2 MB a"
                    + " batch of 100 rows may need, so none of it was written. The 1200 rows committed before it are kept"
                    + " and stay readable; free some disk space and run the extraction again to resume after them.",
                    e.getMessage());
            assertEquals(committed, w.rows());
            w.recordFailure("kaputt.jpg", "broken");
        }
        checkPartialAndResume(file, committed);
    }

    @Test
    void aWriteThatFailsAnywayStopsTheWriterAndKeepsTheCommittedRows() {
        // Space can also run out between the check and the write (another process filling the disk).
        Path file = dir.resolve("failed.h5");
        long committed = 500;
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), ROWS)) {
            w.afterDataFlush = () -> {
                if (w.rows() >= committed) {
                    throw new StoreException(file, "Could not flush the file in the feature store " + file + ": HDF5 reports"
                            + " file write failed: errno = 28, error message = 'No space left on device' (unable to flush file).");
                }
            };
            StoreException e = assertThrows(StoreException.class, () -> TestStores.appendRows(w, 0, ROWS, BATCH, DIM));
            assertTrue(e.getMessage().startsWith("Writing a batch of 100 rows to the feature store " + file + " failed: the"
                    + " system reports 'No space left on device'. The 500 rows committed before it are kept"), e.getMessage());
            IllegalStateException again = assertThrows(IllegalStateException.class,
                    () -> TestStores.appendRows(w, committed, committed + BATCH, BATCH, DIM));
            assertTrue(again.getMessage().contains("stopped after a failed write"), again.getMessage());
        }
        checkPartialAndResume(file, committed);
    }

    @Test
    void aFullTmpfsStopsTheWriterBeforeHdf5FailsAndTheStoreResumes() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("tmpfs"));
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        assumeTrue(m.waitFor(20, TimeUnit.SECONDS) && m.exitValue() == 0, "mount -t tmpfs is not permitted here");
        try {
            Path file = mount.resolve("full.h5");
            long committed;
            try (ChildJvm child = ChildJvm.start(ChildWriter.class, "fill", file.toString(), String.valueOf(DIM),
                    String.valueOf(ROWS), String.valueOf(BATCH), "0")) {
                String failure = child.awaitLine(l -> l.startsWith("failed: "), "a failed append").substring(8);
                committed = Long.parseLong(child.awaitLine(l -> l.startsWith("committed "), "the rows").substring(10));
                child.awaitLine("closed"::equals, "a clean close");
                assertEquals(0, child.waitFor(), () -> "child output: " + child.output());
                assertTrue(failure.startsWith("The disk holding the feature store " + file + " has only")
                        && failure.contains(committed + " rows committed before it are kept"), failure);
            }
            assertTrue(committed > 0 && committed < ROWS, "committed " + committed);
            Path copy = Files.copy(file, dir.resolve("copy.h5"));
            checkPartialAndResume(copy, committed);
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
    }

    private void checkPartialAndResume(Path file, long committed) {
        int n = (int) committed;
        try (FeatureStore partial = FeatureStore.openIncomplete(file)) {
            assertEquals(committed, partial.rows());
            assertArrayEquals(TestStores.features(0, n, DIM), partial.readFeatures(0, n).toFloatMatrix());
            assertEquals(TestStores.paths(0, n), partial.readPaths(0, n));
            assertArrayEquals(TestStores.labels(0, n), partial.readLabels(0, n));
        }
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertEquals(committed, w.rows());
            TestStores.appendRows(w, committed, ROWS, BATCH, DIM);
            w.markComplete();
        }
        FeatureStoreWriterTest.assertSameRows(TestStores.writeComplete(dir.resolve("reference.h5"), ROWS, DIM, BATCH), file);
    }
}
