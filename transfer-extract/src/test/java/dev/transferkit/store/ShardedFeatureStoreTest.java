package dev.transferkit.store;

import dev.transferkit.extract.Pooling;
import dev.transferkit.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardedFeatureStoreTest {
    private static final int DIM = 6;
    /** Rows per shard; the empty shard must be skipped transparently. */
    private static final int[] SIZES = {5, 0, 7, 1, 4};

    @TempDir
    Path dir;

    /** Writes rows [from, from + n) to a complete shard file, with one failure per non-empty shard. */
    private static ShardManifest.Shard shard(Path file, long from, int n) {
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), n + (n > 0 ? 1 : 0))) {
            TestStores.appendRows(w, from, from + n, 3, DIM);
            if (n > 0) {
                w.recordFailure("broken/" + from + ".jpg", "truncated " + from);
            }
            w.markComplete();
        }
        return ShardManifest.Shard.of(file);
    }

    private Path sharded(Path storeDir, int[] sizes) throws Exception {
        Files.createDirectories(storeDir);
        List<ShardManifest.Shard> shards = new ArrayList<>();
        long from = 0;
        for (int i = 0; i < sizes.length; i++) {
            shards.add(shard(storeDir.resolve(String.format("part-%05d.h5", i)), from, sizes[i]));
            from += sizes[i];
        }
        ShardManifest.of(TestStores.spec(DIM), shards, Map.of("tool", "test")).write(storeDir);
        return storeDir;
    }

    private static int total(int[] sizes) {
        int t = 0;
        for (int s : sizes) {
            t += s;
        }
        return t;
    }

    @Test
    void aShardedStoreReadsLikeOneStoreWithTheSameRows() throws Exception {
        Path store = sharded(dir.resolve("sharded"), SIZES);
        int n = total(SIZES);
        Path single = TestStores.writeComplete(dir.resolve("single.h5"), n, DIM, 4);
        try (FeatureStore s = FeatureStore.open(store); FeatureStore one = FeatureStore.open(single)) {
            assertEquals(n, s.rows());
            assertEquals(DIM, s.dim());
            assertEquals(one.spec(), s.spec());
            assertEquals(TestStores.LABELS, s.labelNames());
            assertTrue(s.isComplete());
            assertEquals(n + 4, s.expectedRows());
            assertEquals(Map.of("tool", "test"), s.provenance());
            assertEquals(store, s.path());
            assertEquals(List.of(new Failure("broken/0.jpg", "truncated 0"), new Failure("broken/5.jpg", "truncated 5"),
                    new Failure("broken/12.jpg", "truncated 12"), new Failure("broken/13.jpg", "truncated 13")), s.failures());
            // Every range, including ones spanning several shard boundaries and the empty shard.
            for (int start = 0; start < n; start++) {
                for (int count = 0; start + count <= n; count += 3) {
                    assertEquals(one.readFeatures(start, count), s.readFeatures(start, count), start + "+" + count);
                    assertArrayEquals(one.readLabels(start, count), s.readLabels(start, count));
                    assertEquals(one.readPaths(start, count), s.readPaths(start, count));
                }
            }
            LoadedFeatures all = s.loadAll();
            assertEquals(one.loadAll().features(), all.features());
            assertArrayEquals(one.loadAll().labels(), all.labels());
            assertThrows(IllegalArgumentException.class, () -> s.readFeatures(n - 2, 3));
            assertTrue(s.toString().contains("5 shards"), s.toString());
        }
    }

    @Test
    void theIteratorGivesTheSameShuffledBatchesAsOverOneFile() throws Exception {
        Path store = sharded(dir.resolve("sharded"), SIZES);
        Path single = TestStores.writeComplete(dir.resolve("single.h5"), total(SIZES), DIM, 4);
        try (FeatureStore s = FeatureStore.open(store); FeatureStore one = FeatureStore.open(single)) {
            StoreDataSetIterator a = StoreDataSetIterator.builder().setStore(s).setBatchSize(4).optBlockRows(3)
                    .optBufferRows(8).optSeed(7).build();
            StoreDataSetIterator b = StoreDataSetIterator.builder().setStore(one).setBatchSize(4).optBlockRows(3)
                    .optBufferRows(8).optSeed(7).build();
            for (int epoch = 0; epoch < 2; epoch++) {
                int rows = 0;
                while (b.hasNext()) {
                    assertTrue(a.hasNext());
                    DataSet x = a.next();
                    DataSet y = b.next();
                    assertEquals(y.getFeatures(), x.getFeatures());
                    assertEquals(y.getLabels(), x.getLabels());
                    rows += x.numExamples();
                }
                assertEquals(total(SIZES), rows);
                assertTrue(!a.hasNext());
                a.reset();
                b.reset();
            }
        }
    }

    @Test
    void atMostMaxOpenShardsStayOpen() throws Exception {
        int[] sizes = new int[ShardSet.MAX_OPEN + 3];
        java.util.Arrays.fill(sizes, 1);
        Path store = sharded(dir.resolve("many"), sizes);
        try (FeatureStore s = FeatureStore.open(store)) {
            for (int pass = 0; pass < 2; pass++) {
                for (int r = 0; r < sizes.length; r++) {
                    assertEquals(TestStores.paths(r, 1), s.readPaths(r, 1));
                }
            }
            assertEquals(List.of(TestStores.path(0), TestStores.path(1)), s.readPaths(0, 2));
            assertEquals(ShardSet.MAX_OPEN, s.shardSet().openCount());
        }
    }

    @Test
    void aDirectoryWithoutManifestIsRefusedByName() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("half-done"));
        StoreException e = assertThrows(StoreException.class, () -> FeatureStore.open(empty));
        assertEquals("The directory " + empty + " is not a sharded feature store: it has no manifest.json (the extraction"
                + " did not finish, or this is not a store directory).", e.getMessage());
    }

    @Test
    void aMissingOrResizedShardIsNamedAtOpen() throws Exception {
        Path store = sharded(dir.resolve("s"), SIZES);
        Path part2 = store.resolve("part-00002.h5");
        byte[] bytes = Files.readAllBytes(part2);
        Files.write(part2, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertEquals("The shard " + part2 + " has " + (bytes.length - 10) + " bytes but the manifest "
                + store.resolve("manifest.json") + " records " + bytes.length + "; it was truncated or replaced after"
                + " extraction.", e.getMessage());
        Files.delete(part2);
        e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertTrue(e.getMessage().startsWith("The shard " + part2 + " listed in " + store.resolve("manifest.json")
                + " is missing"), e.getMessage());
        assertEquals(part2, e.file());
    }

    @Test
    void verifyChecksumsFindsAChangedByteThatKeepsTheSize() throws Exception {
        Path store = sharded(dir.resolve("s"), SIZES);
        ShardManifest m = ShardManifest.read(store);
        m.verifyChecksums(store);
        Path part3 = store.resolve("part-00003.h5");
        try (RandomAccessFile f = new RandomAccessFile(part3.toFile(), "rw")) {
            f.seek(f.length() - 1);
            int b = f.read();
            f.seek(f.length() - 1);
            f.write(b ^ 0xff);
        }
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> m.verifyChecksums(store));
        assertTrue(e.getMessage().startsWith("The shard " + part3 + " has SHA-256 "), e.getMessage());
        assertTrue(e.getMessage().contains("records " + m.shards().get(3).sha256()), e.getMessage());
    }

    @Test
    void aShardWithAnotherSpecOrRowCountIsRefusedWhenRead() throws Exception {
        Path store = sharded(dir.resolve("s"), SIZES);
        Path part0 = store.resolve("part-00000.h5");
        StoreSpec other = StoreSpec.builder().setModel("mobilenet_v2").setLayer("block_16_project").setPooling(Pooling.AVG)
                .setPreprocessing(Preprocessing.TF).setInputSpec(TestStores.spec(DIM).inputSpec()).setFeatureDim(DIM)
                .setLabelNames(TestStores.LABELS).build();
        Files.delete(part0);
        try (FeatureStoreWriter w = FeatureStoreWriter.create(part0, other, 5)) {
            TestStores.appendRows(w, 0, 5, 5, DIM);
            w.markComplete();
        }
        ShardManifest m = ShardManifest.read(store);
        List<ShardManifest.Shard> shards = new ArrayList<>(m.shards());
        shards.set(0, ShardManifest.Shard.of(part0));
        ShardManifest.of(m.spec(), shards, m.provenance()).write(store);
        try (FeatureStore s = FeatureStore.open(store)) {
            StoreMismatchException e = assertThrows(StoreMismatchException.class, () -> s.readFeatures(0, 1));
            assertTrue(e.getMessage().startsWith("The store " + part0 + " was written with layer 'block_16_project'"),
                    e.getMessage());
            assertEquals(TestStores.paths(5, 2), s.readPaths(5, 2));
        }
    }

    @Test
    void malformedManifestsAreRefusedWithTheFileNamed() throws Exception {
        Path store = sharded(dir.resolve("s"), SIZES);
        Path manifest = store.resolve("manifest.json");
        String good = Files.readString(manifest);

        Files.writeString(manifest, "{ not json");
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertTrue(e.getMessage().startsWith("The shard manifest " + manifest + " has a missing or malformed"), e.getMessage());

        Files.writeString(manifest, good.replace("\"format_version\" : 1", "\"format_version\" : 2"));
        e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertEquals("The shard manifest " + manifest + " has format version 2, but this TransferKit reads version 1"
                + " only; upgrade TransferKit to read it.", e.getMessage());

        Files.writeString(manifest, good.replace("transferkit-sharded-feature-store", "something-else"));
        e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertTrue(e.getMessage().startsWith("The file " + manifest + " is not a TransferKit shard manifest"), e.getMessage());

        Files.writeString(manifest, good.replace("\"part-00001.h5\"", "\"../part-00001.h5\""));
        e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertTrue(e.getMessage().contains("'shards'") && e.getMessage().contains("../part-00001.h5"), e.getMessage());

        Files.writeString(manifest, good.replace("\"rows\" : 17", "\"rows\" : 18"));
        e = assertThrows(StoreFormatException.class, () -> FeatureStore.open(store));
        assertTrue(e.getMessage().contains("it says 18 rows but its shards hold 17"), e.getMessage());

        Files.writeString(manifest, good, StandardCharsets.UTF_8);
        try (FeatureStore s = FeatureStore.open(store)) {
            assertEquals(17, s.rows());
        }
    }

    @Test
    void invalidManifestsCannotBeBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardManifest.of(TestStores.spec(DIM), List.of(), Map.of()));
        assertEquals("A sharded store needs at least one shard, but none were given.", e.getMessage());
        ShardManifest.Shard a = new ShardManifest.Shard("a.h5", 1, 0, 10, "0".repeat(64));
        e = assertThrows(IllegalArgumentException.class, () -> ShardManifest.of(TestStores.spec(DIM), List.of(a, a), Map.of()));
        assertEquals("The shard a.h5 is listed twice.", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ShardManifest.Shard("a.h5", 1, 0, 10, "xyz"));
        assertEquals("The SHA-256 of the shard a.h5 must be 64 lower-case hex digits, but was 'xyz'.", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ShardManifest.Shard("sub/a.h5", 1, 0, 10, "0".repeat(64)));
        assertTrue(e.getMessage().startsWith("The shard file name 'sub/a.h5' is not a plain file name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ShardManifest.Shard("a.h5", -1, 0, 10, "0".repeat(64)));
        assertEquals("The shard a.h5 has a negative count: rows=-1, failures=0, bytes=10.", e.getMessage());
    }
}
