package dev.transferkit.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureStoreRoundTripTest {
    private static final int DIM = 12;

    @TempDir
    Path dir;

    @Test
    void rowsLabelsAndUtf8PathsRoundTripInAppendOrder() {
        Path file = TestStores.writeComplete(dir.resolve("train.h5"), 50, DIM, 7);
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(50, store.rows());
            assertEquals(DIM, store.dim());
            assertTrue(store.isComplete());
            assertEquals(TestStores.spec(DIM), store.spec());
            assertEquals(TestStores.LABELS, store.labelNames());
            INDArray f = store.readFeatures(0, 50);
            assertEquals(DataType.FLOAT, f.dataType());
            for (int r = 0; r < 50; r++) {
                assertArrayEquals(TestStores.row(r, DIM), f.getRow(r).toFloatVector(), "row " + r);
            }
            assertArrayEquals(TestStores.labels(0, 50), store.readLabels(0, 50));
            assertEquals(TestStores.paths(0, 50), store.readPaths(0, 50));
            assertArrayEquals(TestStores.row(23, DIM), store.readFeatures(23, 1).toFloatVector());
            assertEquals(List.of(TestStores.path(48), TestStores.path(49)), store.readPaths(48, 2));
        }
    }

    @Test
    void indArrayBatchesAreWrittenWhateverTheirLayout() {
        Path file = dir.resolve("nd.h5");
        INDArray all = Nd4j.create(TestStores.features(0, 40, DIM));
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            // A plain C-order float matrix (written from its own memory).
            w.append(all.get(NDArrayIndex.interval(0, 10), NDArrayIndex.all()).dup('c'), TestStores.labels(0, 10),
                    TestStores.paths(0, 10));
            // A view of whole rows with a non-zero offset (also written from its own memory).
            w.append(all.get(NDArrayIndex.interval(10, 20), NDArrayIndex.all()), TestStores.labels(10, 10),
                    TestStores.paths(10, 10));
            // Fortran order and double precision are copied first.
            w.append(all.get(NDArrayIndex.interval(20, 30), NDArrayIndex.all()).dup('f'), TestStores.labels(20, 10),
                    TestStores.paths(20, 10));
            w.append(all.get(NDArrayIndex.interval(30, 40), NDArrayIndex.all()).castTo(DataType.DOUBLE),
                    TestStores.labels(30, 10), TestStores.paths(30, 10));
            w.markComplete();
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(all, store.readFeatures(0, 40));
        }
    }

    @Test
    void rootAttributesDescribeTheStore() {
        Path file = dir.resolve("attrs.h5");
        Instant before = Instant.now().minusSeconds(1);
        try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(file).setSpec(TestStores.spec(DIM))
                .optExpectedRows(5).optProvenance(Map.of("source", "/data/fotos", "tool", "test")).build()) {
            TestStores.appendRows(w, 0, 5, 5, DIM);
            w.markComplete();
        }
        try (StoreFile f = StoreFile.open(file, false)) {
            assertEquals("transferkit-feature-store", f.stringAttribute("format"));
            assertEquals(1, f.longAttribute("format_version"));
            assertEquals("mobilenet_v2", f.stringAttribute("model"));
            assertEquals("out_relu", f.stringAttribute("layer"));
            assertEquals("AVG", f.stringAttribute("pooling"));
            assertEquals("[\"Apfel\",\"Brötchen\",\"Käse\"]", f.stringAttribute("label_names"));
            assertEquals("{\"height\":224,\"width\":224,\"channels\":3,\"format\":\"NHWC\"}", f.stringAttribute("input_spec"));
            assertTrue(f.stringAttribute("preprocessing").contains("\"name\":\"tf\""));
            assertEquals(DIM, f.longAttribute("feature_dim"));
            assertEquals(1, f.longAttribute("complete"));
            assertEquals(5, f.longAttribute("expected_rows"));
            assertEquals(5, f.longAttribute("committed_rows"));
            assertTrue(Instant.parse(f.stringAttribute("created")).isAfter(before));
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(Map.of("source", "/data/fotos", "tool", "test"), store.provenance());
            assertEquals(5, store.expectedRows());
            assertTrue(store.toString().contains("attrs.h5") && store.toString().contains("out_relu"), store.toString());
        }
    }

    @Test
    void datasetsAreChunkedShuffledAndCompressed() {
        Path big = TestStores.writeComplete(dir.resolve("big.h5"), 300, DIM, 64);
        assertEquals(256, FeatureStoreWriter.defaultChunkRows(DIM));
        assertEquals(64, FeatureStoreWriter.defaultChunkRows(2048));
        assertEquals(5, FeatureStoreWriter.defaultChunkRows(25088));
        Path small = TestStores.writeComplete(dir.resolve("small.h5"), 10, DIM, 64);
        try (StoreFile f = StoreFile.open(big, false)) {
            StoreFile.Layout layout = f.layout(StoreFile.FEATURES);
            assertArrayEquals(new long[]{256, DIM}, layout.chunk());
            assertEquals(List.of("shuffle", "deflate"), List.copyOf(layout.filters().keySet()));
            assertArrayEquals(new int[]{4}, layout.filters().get("deflate"));
            assertTrue(f.layout(StoreFile.LABELS).filters().isEmpty(), "labels are rewritten in place, so never compressed");
            assertFalse(f.hasDataset(StoreFile.TAIL), "a complete store keeps all its rows in /features");
        }
        try (StoreFile f = StoreFile.open(small, false)) {
            assertArrayEquals(new long[]{10, DIM}, f.layout(StoreFile.FEATURES).chunk(), "chunks are capped at the expected rows");
        }
        Path plain = dir.resolve("plain.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(plain).setSpec(TestStores.spec(DIM))
                .optChunkRows(32).optCompressionLevel(0).build()) {
            TestStores.appendRows(w, 0, 3, 3, DIM);
        }
        try (StoreFile f = StoreFile.open(plain, false)) {
            assertArrayEquals(new long[]{32, DIM}, f.layout(StoreFile.FEATURES).chunk());
            assertTrue(f.layout(StoreFile.FEATURES).filters().isEmpty());
        }
    }

    @Test
    void failuresAreRecordedOnceAndCommitted() {
        Path file = dir.resolve("fail.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), 6)) {
            TestStores.appendRows(w, 0, 3, 3, DIM);
            w.recordFailure("bilder/kaputt_ä.jpg", "Unsupported image format: not a JPEG");
            w.recordFailure("bilder/leer.png", "The file is empty.");
            w.recordFailure("bilder/leer.png", "Recorded twice.");
            assertEquals(2, w.failureCount());
            assertEquals(java.util.Set.of("bilder/kaputt_ä.jpg", "bilder/leer.png"), w.failedPaths());
            assertThrows(IllegalArgumentException.class, () -> w.recordFailure(TestStores.path(0), "already a row"));
            w.markComplete();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.recordFailure("x.jpg", "late"));
            assertTrue(e.getMessage().contains("fail.h5"), e.getMessage());
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(List.of(new Failure("bilder/kaputt_ä.jpg", "Unsupported image format: not a JPEG"),
                    new Failure("bilder/leer.png", "The file is empty.")), store.failures());
        }
    }

    @Test
    void failuresRecordedWithoutAFollowingBatchAreCommittedByClose() {
        Path file = dir.resolve("fail-close.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            TestStores.appendRows(w, 0, 2, 2, DIM);
            w.recordFailure("a.jpg", "broken");
        }
        try (FeatureStore store = FeatureStore.openIncomplete(file)) {
            assertEquals(List.of(new Failure("a.jpg", "broken")), store.failures());
        }
    }

    @Test
    void loadAllReturnsEverythingWithinTheBudgetAndRefusesBeyondIt() {
        Path file = TestStores.writeComplete(dir.resolve("load.h5"), 30, DIM, 8);
        try (FeatureStore store = FeatureStore.open(file)) {
            LoadedFeatures all = store.loadAll();
            assertEquals(30, all.rows());
            assertEquals(store.readFeatures(0, 30), all.features());
            assertArrayEquals(TestStores.labels(0, 30), all.labels());
            DataSet ds = all.toDataSet();
            assertEquals(1f, ds.getLabels().getFloat(4, TestStores.label(4)));
            assertEquals(30f, ds.getLabels().sumNumber().floatValue());

            long needed = 30L * DIM * 4;
            assertEquals(30, store.loadAll(needed).rows());
            StoreException e = assertThrows(StoreException.class, () -> store.loadAll(needed - 1));
            assertTrue(e.getMessage().contains("load.h5") && e.getMessage().contains("memory budget")
                    && e.getMessage().contains("StoreDataSetIterator"), e.getMessage());
        }
    }

    @Test
    void readsOutsideTheCommittedRowsAreRefused() {
        Path file = TestStores.writeComplete(dir.resolve("range.h5"), 10, DIM, 10);
        try (FeatureStore store = FeatureStore.open(file)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.readFeatures(5, 6));
            assertTrue(e.getMessage().contains("range.h5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> store.readLabels(-1, 2));
            assertThrows(IllegalArgumentException.class, () -> store.readPaths(0, 11));
            assertEquals(0, store.readFeatures(10, 0).rows());
            store.close();
            assertThrows(IllegalStateException.class, () -> store.readLabels(0, 1));
        }
    }

    @Test
    void invalidBatchesAreRefusedWithoutChangingTheStore() {
        Path file = dir.resolve("bad.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), -1)) {
            TestStores.appendRows(w, 0, 2, 2, DIM);
            IllegalArgumentException wrongDim = assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[][]{new float[DIM + 1]}, new int[]{0}, List.of("n.jpg")));
            assertTrue(wrongDim.getMessage().contains("bad.h5") && wrongDim.getMessage().contains(String.valueOf(DIM)));
            assertThrows(IllegalArgumentException.class,
                    () -> w.append(Nd4j.create(DataType.FLOAT, 1, DIM + 1), new int[]{0}, List.of("n.jpg")));
            IllegalArgumentException badLabel = assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[][]{new float[DIM]}, new int[]{3}, List.of("n.jpg")));
            assertTrue(badLabel.getMessage().contains("n.jpg") && badLabel.getMessage().contains("[0, 3)"), badLabel.getMessage());
            IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[][]{new float[DIM]}, new int[]{0}, List.of(TestStores.path(1))));
            assertTrue(dup.getMessage().contains(TestStores.path(1)), dup.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[2][DIM], new int[]{0, 0}, List.of("same.jpg", "same.jpg")));
            assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[2][DIM], new int[]{0}, List.of("a.jpg", "b.jpg")));
            assertThrows(IllegalArgumentException.class,
                    () -> w.append(new float[1][DIM], new int[]{0}, List.of("")));
            assertEquals(2, w.rows());
            assertTrue(w.contains(TestStores.path(0)));
            assertFalse(w.contains("n.jpg"));
            w.markComplete();
            assertThrows(IllegalStateException.class, () -> TestStores.appendRows(w, 2, 3, 1, DIM));
        }
        try (FeatureStore store = FeatureStore.open(file)) {
            assertEquals(2, store.rows());
        }
    }
}
