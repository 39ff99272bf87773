package dev.transferkit.store;

import dev.transferkit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writers killed in a second JVM leave stores that resume into exactly the rows of an uninterrupted run. */
class CrashResumeTest {
    private static final int DIM = 32;
    private static final int ROWS = 400;
    private static final int BATCH = 16;

    @TempDir
    Path dir;

    @Test
    void aWriterKilledMidwayResumesWithoutDuplicatedOrMissingRows() throws Exception {
        Path file = dir.resolve("killed.h5");
        long committedBeforeKill;
        try (ChildJvm child = ChildJvm.start(ChildWriter.class, "write", file.toString(), String.valueOf(DIM),
                String.valueOf(ROWS), String.valueOf(BATCH), "20")) {
            String line = child.awaitLine(l -> l.startsWith("committed ") && Long.parseLong(l.substring(10)) >= 5 * BATCH,
                    "five committed batches");
            committedBeforeKill = Long.parseLong(line.substring(10));
            child.kill();
        }
        long resumedAt;
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            resumedAt = w.rows();
            // The kill landed after the printed commit, possibly during a later batch: at least those rows survive.
            assertTrue(resumedAt >= committedBeforeKill && resumedAt < ROWS && resumedAt % BATCH == 0,
                    "resumed at " + resumedAt + " after seeing " + committedBeforeKill);
            assertEquals(java.util.Set.copyOf(TestStores.paths(0, (int) resumedAt)), w.writtenPaths());
            TestStores.appendRows(w, resumedAt, ROWS, BATCH, DIM);
            w.markComplete();
        }
        Path reference = TestStores.writeComplete(dir.resolve("reference.h5"), ROWS, DIM, BATCH);
        FeatureStoreWriterTest.assertSameRows(reference, file);
    }

    @Test
    void aWriterHaltedBetweenDataFlushAndCommitLeavesRowsThatResumeDrops() throws Exception {
        Path file = dir.resolve("halted.h5");
        try (ChildJvm child = ChildJvm.start(ChildWriter.class, "halt", file.toString(), String.valueOf(DIM),
                String.valueOf(ROWS), String.valueOf(BATCH), "4")) {
            child.awaitLine("halting"::equals, "halting");
            assertEquals(3, child.waitFor());
        }
        try (StoreFile f = StoreFile.open(file, false)) {
            assertEquals(3 * BATCH, f.longAttribute(StoreHeader.COMMITTED_ROWS));
            assertEquals(4 * BATCH, f.dims(StoreFile.LABELS)[0], "the fourth batch reached the disk uncommitted");
        }
        // A second child resumes the store, as a rerun of the extraction would, and finishes it.
        try (ChildJvm child = ChildJvm.start(ChildWriter.class, "write", file.toString(), String.valueOf(DIM),
                String.valueOf(ROWS), String.valueOf(4 * BATCH), "0")) {
            assertEquals("resumed " + 3 * BATCH, child.awaitLine(l -> l.startsWith("resumed "), "resumed"));
            assertEquals(0, child.waitFor(), () -> "child output: " + child.output());
        }
        FeatureStoreWriterTest.assertSameRows(TestStores.writeComplete(dir.resolve("reference.h5"), ROWS, DIM, BATCH), file);
    }
}
