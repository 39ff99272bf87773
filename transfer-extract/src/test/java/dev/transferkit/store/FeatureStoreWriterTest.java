package dev.transferkit.store;

import dev.transferkit.extract.Pooling;
import dev.transferkit.testing.ChildJvm;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureStoreWriterTest {
    private static final int DIM = 6;

    @TempDir
    Path dir;

    @Test
    void resumeContinuesAfterTheCommittedRowsAndMatchesAnUninterruptedRun() {
        Path file = dir.resolve("train.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), 40)) {
            TestStores.appendRows(w, 0, 15, 5, DIM);
            w.recordFailure("kaputt.jpg", "broken");
        }
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertTrue(w.isResumed());
            assertEquals(15, w.rows());
            assertEquals(40, w.expectedRows());
            assertEquals(Set.copyOf(TestStores.paths(0, 15)), w.writtenPaths());
            assertEquals(Set.of("kaputt.jpg"), w.failedPaths());
            TestStores.appendRows(w, w.rows(), 39, 5, DIM);
            w.markComplete();
        }
        Path reference = TestStores.writeComplete(dir.resolve("reference.h5"), 39, DIM, 5);
        assertSameRows(reference, file);
    }

    @Test
    void rowsPastCommittedRowsAreCutOffOnResume() {
        Path file = dir.resolve("crash.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            TestStores.appendRows(w, 0, 10, 5, DIM);
        }
        // What a writer killed between its data flush and its commit leaves: data past committed_rows.
        try (StoreFile f = StoreFile.open(file, true)) {
            f.resize(StoreFile.FEATURES, 13);
            f.resize(StoreFile.LABELS, 13);
            f.resize(StoreFile.PATHS, 13);
            f.writeStrings(StoreFile.PATHS, 10, 1, new String[]{"junk1", "junk2", "junk3"});
            f.resize(StoreFile.FAILURES, 2);
            f.writeStrings(StoreFile.FAILURES, 0, 2, new String[]{"x", "y", "z", "w"});
        }
        try (FeatureStore store = FeatureStore.openIncomplete(file)) {
            assertEquals(10, store.rows(), "readers see only committed rows");
            assertTrue(store.failures().isEmpty());
        }
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertEquals(10, w.rows());
            assertFalse(w.contains("junk1"));
            TestStores.appendRows(w, 10, 20, 5, DIM);
            w.markComplete();
        }
        try (StoreFile f = StoreFile.open(file, false)) {
            assertArrayEquals(new long[]{20, DIM}, f.dims(StoreFile.FEATURES));
            assertArrayEquals(new long[]{0, 2}, f.dims(StoreFile.FAILURES));
        }
        assertSameRows(TestStores.writeComplete(dir.resolve("reference.h5"), 20, DIM, 5), file);
    }

    static Stream<Arguments> specChanges() {
        return Stream.of(
                Arguments.of("model", (UnaryOperator<StoreSpec.Builder>) b -> b.setModel("inception_v3"), "'inception_v3'"),
                Arguments.of("layer", (UnaryOperator<StoreSpec.Builder>) b -> b.setLayer("block_16_project"),
                        "was written with layer 'out_relu' but this extractor uses layer 'block_16_project'."),
                Arguments.of("pooling", (UnaryOperator<StoreSpec.Builder>) b -> b.setPooling(Pooling.MAX), "MAX"),
                Arguments.of("preprocessing", (UnaryOperator<StoreSpec.Builder>) b -> b.setPreprocessing(Preprocessing.CAFFE), "caffe"),
                Arguments.of("input spec", (UnaryOperator<StoreSpec.Builder>) b -> b.setInputSpec(new InputSpec(299, 299, 3, DataFormat.NHWC)), "299x299x3"),
                Arguments.of("feature dimension", (UnaryOperator<StoreSpec.Builder>) b -> b.setFeatureDim(DIM + 1), String.valueOf(DIM + 1)),
                Arguments.of("label names", (UnaryOperator<StoreSpec.Builder>) b -> b.setLabelNames(List.of("Apfel", "Käse", "Brötchen")), "[Apfel, Käse, Brötchen]"));
    }

    private static StoreSpec.Builder baseSpec() {
        return StoreSpec.builder().setModel("mobilenet_v2").setLayer("out_relu").setPooling(Pooling.AVG)
                .setPreprocessing(Preprocessing.TF).setInputSpec(new InputSpec(224, 224, 3, DataFormat.NHWC))
                .setFeatureDim(DIM).setLabelNames(TestStores.LABELS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specChanges")
    void resumingWithAnotherSpecNamesTheFileAndTheField(String field, UnaryOperator<StoreSpec.Builder> change, String shown) {
        Path file = dir.resolve("mismatch.h5");
        assertEquals(TestStores.spec(DIM), baseSpec().build());
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            TestStores.appendRows(w, 0, 3, 3, DIM);
        }
        StoreSpec other = change.apply(baseSpec()).build();
        StoreMismatchException e = assertThrows(StoreMismatchException.class,
                () -> FeatureStoreWriter.openForResume(file, other));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith("The store " + file.toAbsolutePath() + " was written with " + field + " "),
                e.getMessage());
        assertTrue(e.getMessage().contains(shown), e.getMessage());
        try (FeatureStore store = FeatureStore.openIncomplete(file)) {
            StoreMismatchException r = assertThrows(StoreMismatchException.class, () -> store.requireCompatible(other));
            assertEquals(field, r.field());
            store.requireCompatible(TestStores.spec(DIM));
        }
        // The refused writer released the lock and left the store as it was.
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertEquals(3, w.rows());
        }
    }

    @Test
    void aMismatchInSeveralFieldsNamesAllOfThem() {
        Path file = TestStores.writeComplete(dir.resolve("multi.h5"), 2, DIM, 2);
        try (FeatureStore store = FeatureStore.open(file)) {
            StoreMismatchException e = assertThrows(StoreMismatchException.class,
                    () -> store.requireCompatible(baseSpec().setLayer("block_13").setPooling(Pooling.AVG_MAX).build()));
            assertEquals("layer", e.field());
            assertTrue(e.getMessage().contains("'block_13'") && e.getMessage().contains("AVG_MAX"), e.getMessage());
        }
    }

    @Test
    void anExistingStoreIsNotOverwrittenUnlessAsked() throws Exception {
        Path file = TestStores.writeComplete(dir.resolve("done.h5"), 4, DIM, 4);
        StoreException complete = assertThrows(StoreException.class,
                () -> FeatureStoreWriter.create(file, TestStores.spec(DIM), 4));
        assertTrue(complete.getMessage().contains(file.toString()) && complete.getMessage().contains("already exists and is complete")
                && complete.getMessage().contains("OVERWRITE"), complete.getMessage());
        StoreException resume = assertThrows(StoreException.class,
                () -> FeatureStoreWriter.openForResume(file, TestStores.spec(DIM)));
        assertTrue(resume.getMessage().contains(file.toString()) && resume.getMessage().contains("already complete"),
                resume.getMessage());
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(4, store.rows(), "the refused writers left the store intact");
        }

        Path partial = dir.resolve("partial.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(partial, TestStores.spec(DIM), 9)) {
            TestStores.appendRows(w, 0, 3, 3, DIM);
        }
        StoreException incomplete = assertThrows(StoreException.class,
                () -> FeatureStoreWriter.create(partial, TestStores.spec(DIM), 9));
        assertTrue(incomplete.getMessage().contains("partial.h5") && incomplete.getMessage().contains("incomplete (3 rows")
                && incomplete.getMessage().contains("RESUME"), incomplete.getMessage());

        Path text = dir.resolve("notes.h5");
        Files.writeString(text, "not a store");
        StoreException foreign = assertThrows(StoreException.class,
                () -> FeatureStoreWriter.create(text, TestStores.spec(DIM), -1));
        assertTrue(foreign.getMessage().contains("notes.h5") && foreign.getMessage().contains("not a readable feature store"),
                foreign.getMessage());
        assertEquals("not a store", Files.readString(text));
    }

    @Test
    void overwriteReplacesAStoreWithAnEmptyOne() throws Exception {
        Path file = TestStores.writeComplete(dir.resolve("again.h5"), 4, DIM, 4);
        try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(file).setSpec(TestStores.spec(DIM))
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).build()) {
            assertFalse(w.isResumed());
            assertEquals(0, w.rows());
            assertFalse(w.contains(TestStores.path(0)));
            // Until it is complete, the replacement is visibly incomplete.
            assertThrows(StoreIncompleteException.class, () -> FeatureStore.open(file).close());
            TestStores.appendRows(w, 0, 2, 2, DIM);
            w.markComplete();
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(2, store.rows());
        }
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("again.h5", "again.h5.lock"),
                    files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
                    "no temporary files are left behind");
        }
    }

    @Test
    void resumeCreatesAMissingStore() {
        Path file = dir.resolve("sub/new.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertFalse(w.isResumed());
            assertEquals(-1, w.expectedRows());
            TestStores.appendRows(w, 0, 1, 1, DIM);
            w.markComplete();
            assertTrue(w.toString().contains("new.h5") && w.toString().contains("complete"), w.toString());
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(-1, store.expectedRows());
            assertEquals(1, store.rows());
        }
    }

    @Test
    void aSecondWriterInTheSameProcessIsRefused() {
        Path file = dir.resolve("locked.h5");
        try (FeatureStoreWriter first = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            for (FeatureStoreWriter.IfExists mode : FeatureStoreWriter.IfExists.values()) {
                StoreLockedException e = assertThrows(StoreLockedException.class, () -> FeatureStoreWriter.builder()
                        .setPath(file).setSpec(TestStores.spec(DIM)).optIfExists(mode).build());
                assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("in this process")
                        && e.getMessage().contains("locked.h5.lock"), e.getMessage());
            }
            TestStores.appendRows(first, 0, 2, 2, DIM);
            first.markComplete();
        }
        // Once the first writer is closed, the lock can be taken again.
        try (FeatureStoreWriter again = FeatureStoreWriter.builder().setPath(file).setSpec(TestStores.spec(DIM))
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).build()) {
            assertEquals(0, again.rows());
        }
    }

    @Test
    void aWriterInAnotherProcessIsRefusedUntilItDies() throws Exception {
        Path file = dir.resolve("shared.h5");
        try (ChildJvm child = ChildJvm.start(ChildWriter.class, "hold", file.toString(), String.valueOf(DIM))) {
            child.awaitLine("holding"::equals, "holding");
            StoreLockedException e = assertThrows(StoreLockedException.class,
                    () -> FeatureStoreWriter.openForResume(file, TestStores.spec(DIM)));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("another process"),
                    e.getMessage());
            child.kill();
        }
        // The OS dropped the dead writer's lock; the lock file it left is harmless.
        assertTrue(Files.exists(StoreLock.lockFileOf(file.toAbsolutePath())));
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(DIM))) {
            assertTrue(w.isResumed());
        }
    }

    @Test
    void temporaryFilesOfWritersKilledWhileCreatingTheStoreAreDeleted() throws Exception {
        Path file = dir.resolve("train.h5");
        // What a writer killed between creating its temporary file and moving it into place leaves behind.
        Path stale = Files.writeString(dir.resolve(".train.h5.4711.part"), "half an HDF5 file");
        Path otherStore = Files.writeString(dir.resolve(".test.h5.4711.part"), "another store's temporary file");
        Path unrelated = Files.writeString(dir.resolve("train.h5.notes.part"), "not a temporary file");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            assertEquals(0, w.rows());
        }
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(otherStore) && Files.exists(unrelated));
    }

    @Test
    void builderSettingsAreValidated() {
        StoreSpec spec = TestStores.spec(DIM);
        Path file = dir.resolve("x.h5");
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> FeatureStoreWriter.builder().setSpec(spec).build());
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreWriter.builder().setPath(file).build());
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreWriter.builder().setPath(file).setSpec(spec).optChunkRows(0).build());
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreWriter.builder().setPath(file).setSpec(spec).optCompressionLevel(10).build());
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreWriter.builder().setPath(file).setSpec(spec).optExpectedRows(-2).build());
        IllegalArgumentException isDir = assertThrows(IllegalArgumentException.class, () -> FeatureStoreWriter.create(dir, spec, -1));
        assertTrue(isDir.getMessage().contains("is a directory"), isDir.getMessage());
        assertFalse(Files.exists(file));
    }

    static void assertSameRows(Path expected, Path actual) {
        try (FeatureStore a = FeatureStore.open(expected); FeatureStore b = FeatureStore.open(actual)) {
            assertEquals(a.rows(), b.rows());
            int n = (int) a.rows();
            assertEquals(a.readFeatures(0, n), b.readFeatures(0, n));
            assertArrayEquals(a.readLabels(0, n), b.readLabels(0, n));
            List<String> paths = b.readPaths(0, n);
            assertEquals(a.readPaths(0, n), paths);
            assertEquals(n, Set.copyOf(paths).size(), "no duplicated rows");
        }
    }

    @Test
    void aStoreGetsThePermissionsOfAnyNewFileInItsDirectory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews()
                .contains("posix"), "POSIX permissions");
        Path reference = java.nio.file.Files.createFile(dir.resolve("reference"));
        Path store = dir.resolve("perm.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(store).setSpec(TestStores.spec(3)).build()) {
            w.markComplete();
        }
        org.junit.jupiter.api.Assertions.assertEquals(java.nio.file.Files.getPosixFilePermissions(reference),
                java.nio.file.Files.getPosixFilePermissions(store));
    }
}
