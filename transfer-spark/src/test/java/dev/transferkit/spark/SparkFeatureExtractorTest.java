package dev.transferkit.spark;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.Failure;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.ShardManifest;
import dev.transferkit.store.StoreException;
import dev.transferkit.store.StoreMismatchException;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkFeatureExtractorTest extends SparkSessionTest {
    /** Largest difference allowed between a Spark row and the single-machine row (batches are cut differently). */
    private static final double TOLERANCE = 1e-5;
    private static final int PER_CLASS = 6;

    private static List<LabeledImage> images;
    private static Path single;

    @BeforeAll
    static void setUp() throws IOException {
        images = SparkTests.writeImages(shared.resolve("images"), PER_CLASS, 7);
        single = shared.resolve("single.h5");
        FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optBatchSize(5).build()).extract(images, LABELS, single).close();
    }

    private static ExtractionSettings.Builder settings() {
        return ExtractionSettings.builder().setModel(model).optBatchSize(4);
    }

    private static SparkFeatureExtractor.Builder extractor() {
        return extractor(settings());
    }

    private static SparkFeatureExtractor.Builder extractor(ExtractionSettings.Builder settings) {
        return SparkFeatureExtractor.builder().setExtraction(settings.build());
    }

    /** Asserts that a store holds exactly the single-machine rows, in the same order. */
    private static void assertSameRowsAsSingleMachine(FeatureStore store) {
        try (FeatureStore reference = FeatureStore.open(single)) {
            int n = (int) reference.rows();
            assertEquals(n, store.rows());
            assertEquals(reference.spec(), store.spec());
            assertEquals(reference.readPaths(0, n), store.readPaths(0, n));
            assertArrayEquals(reference.readLabels(0, n), store.readLabels(0, n));
            INDArray a = reference.readFeatures(0, n);
            INDArray b = store.readFeatures(0, n);
            double maxDiff = a.sub(b).amaxNumber().doubleValue();
            assertTrue(maxDiff <= TOLERANCE, "largest difference " + maxDiff);
            assertTrue(a.amaxNumber().doubleValue() > 0.01, "features are not all zero");
        }
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void sparkRowsEqualTheSingleMachineExtractors() throws IOException {
        Path out = dir.resolve("train");
        ShardManifest manifest = extractor().build().extract(SparkTests.table(spark, images, 3), LABELS, out.toString());
        assertEquals(3, manifest.shards().size());
        assertEquals(List.of("part-00000.h5", "part-00001.h5", "part-00002.h5"),
                manifest.shards().stream().map(ShardManifest.Shard::file).toList());
        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5", "part-00002.h5"), listing(out));
        try (FeatureStore store = FeatureStore.open(out)) {
            assertSameRowsAsSingleMachine(store);
            assertEquals("3", store.provenance().get("partitions"));
            assertEquals(spark.version(), store.provenance().get("spark.version"));
        }
        ShardManifest.read(out).verifyChecksums(out);
    }

    @Test
    void theModelIsLoadedOncePerJvmAndReusedByTheNextJobOfTheSameExtractor() {
        // A model no other test broadcast (its own name), so no executor has it cached yet.
        BaseModel fresh = BaseModel.builder().setName("tiny-" + System.nanoTime()).setGraph(TinyNetworks.convNet(3, 777))
                .setInputSpec(model.inputSpec()).setPreprocessing(model.preprocessing()).optFeatureLayers(List.of("conv2"))
                .build();
        SparkFeatureExtractor ex = extractor(settings().setModel(fresh)).build();
        int before = ExecutorModels.loads();
        ex.extract(SparkTests.table(spark, images, 3), LABELS, dir.resolve("a").toString());
        assertEquals(1, ExecutorModels.loads() - before, "one deserialisation for 3 tasks in one executor JVM");
        ex.extract(SparkTests.table(spark, images.subList(0, 5), 2), LABELS, dir.resolve("b").toString());
        assertEquals(1, ExecutorModels.loads() - before, "the second job found the model loaded");
    }

    @Test
    void aFailedTaskAttemptIsRetriedWithoutDuplicatingRows() throws IOException {
        Path out = dir.resolve("retried");
        ShardTask.Hook failFirstAttemptOfPartition1 = (partition, ctx) -> {
            if (partition == 1 && ctx.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure after the shard file was written");
            }
        };
        extractor().optHook(failFirstAttemptOfPartition1).build()
                .extract(SparkTests.table(spark, images, 3), LABELS, out.toString());
        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5", "part-00002.h5"), listing(out));
        try (FeatureStore store = FeatureStore.open(out)) {
            assertSameRowsAsSingleMachine(store);
        }
    }

    @Test
    void aFailedJobLeavesNoStoreAndARerunCompletesIt() throws IOException {
        Path out = dir.resolve("rerun");
        ShardTask.Hook alwaysFailPartition2 = (partition, ctx) -> {
            if (partition == 2) {
                throw new IllegalStateException("injected failure of every attempt");
            }
        };
        SparkException e = assertThrows(SparkException.class, () -> extractor().optHook(alwaysFailPartition2).build()
                .extract(SparkTests.table(spark, images, 3), LABELS, out.toString()));
        assertTrue(e.getMessage().contains("injected failure of every attempt"), e.getMessage());
        assertFalse(Files.exists(out.resolve("manifest.json")));
        StoreException notAStore = assertThrows(StoreException.class, () -> FeatureStore.open(out));
        assertTrue(notAStore.getMessage().contains("has no manifest.json"), notAStore.getMessage());

        extractor().build().extract(SparkTests.table(spark, images, 2), LABELS, out.toString());
        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5"), listing(out));
        try (FeatureStore store = FeatureStore.open(out)) {
            assertSameRowsAsSingleMachine(store);
        }
    }

    @Test
    void aCompleteStoreIsReturnedUnlessOverwrittenAndAnotherSpecIsRefused() throws IOException {
        Path out = dir.resolve("done");
        ShardManifest first = extractor().build().extract(SparkTests.table(spark, images, 3), LABELS, out.toString());
        ShardManifest again = extractor().build().extract(SparkTests.table(spark, images, 2), LABELS, out.toString());
        assertEquals(first.created(), again.created(), "the existing manifest, not a new extraction");
        assertEquals(first.shards(), again.shards());

        StoreMismatchException e = assertThrows(StoreMismatchException.class, () -> extractor(settings().optLayer("conv1")).build()
                .extract(SparkTests.table(spark, images, 2), LABELS, out.toString()));
        assertTrue(e.getMessage().contains("was written with layer 'conv2' but this extractor uses layer 'conv1'"),
                e.getMessage());

        ShardManifest replaced = extractor(settings().optOverwrite(true)).build()
                .extract(SparkTests.table(spark, images, 2), LABELS, out.toString());
        assertEquals(2, replaced.shards().size());
        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5"), listing(out), "the third old shard is gone");
        try (FeatureStore store = FeatureStore.open(out)) {
            assertSameRowsAsSingleMachine(store);
        }
    }

    @Test
    void imagesAndOutputOnANonLocalHadoopFileSystemGoThroughHadoop() throws IOException {
        Path out = dir.resolve("remote");
        List<Row> rows = new ArrayList<>();
        for (LabeledImage im : images) {
            rows.add(RowFactory.create(TestFileSystem.uri(im.path()), im.label()));
        }
        ShardManifest m = extractor().build().extract(SparkTests.rowTable(spark, rows, 2), LABELS, TestFileSystem.uri(out));
        assertEquals(2, m.shards().size());
        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5"), listing(out));
        try (FeatureStore store = FeatureStore.open(out); FeatureStore reference = FeatureStore.open(single)) {
            int n = (int) reference.rows();
            assertEquals(n, store.rows());
            // Stored as Hadoop qualifies them (for hdfs://, with the name node's authority).
            assertEquals(images.stream().map(im -> TestFileSystem.SCHEME + ":" + im.path()).toList(), store.readPaths(0, n));
            double maxDiff = reference.readFeatures(0, n).sub(store.readFeatures(0, n)).amaxNumber().doubleValue();
            assertTrue(maxDiff <= TOLERANCE, "largest difference " + maxDiff);
        }
    }

    @Test
    void unreadableImagesBecomeFailuresOfTheirShard() throws IOException {
        Path notAnImage = Files.writeString(dir.resolve("fake.png"), "this is text, not a PNG");
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create(images.get(0).path().toString(), images.get(0).label()));
        rows.add(RowFactory.create(notAnImage.toString(), "red"));
        rows.add(RowFactory.create(dir.resolve("missing.png").toString(), "blue"));
        rows.add(RowFactory.create(images.get(1).path().toString(), images.get(1).label()));
        Path out = dir.resolve("failures");
        ShardManifest m = extractor().build().extract(SparkTests.rowTable(spark, rows, 2), LABELS, out.toString());
        assertEquals(2, m.rows());
        assertEquals(2, m.failures());
        try (FeatureStore store = FeatureStore.open(out)) {
            List<Failure> failures = store.failures();
            assertEquals(List.of(notAnImage.toString(), dir.resolve("missing.png").toString()),
                    failures.stream().map(Failure::path).toList());
            assertTrue(failures.get(1).reason().contains("does not exist"), failures.get(1).reason());
        }
    }

    @Test
    void aShardRecordsRowsAndUnreadableImagesExactlyAsTheSingleMachineExtractor() throws IOException {
        Path notAnImage = Files.writeString(dir.resolve("fake.png"), "this is text, not a PNG");
        Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
        List<LabeledImage> list = List.of(images.get(0), new LabeledImage(notAnImage, "red"), images.get(1),
                new LabeledImage(dir.resolve("missing.png"), "blue"), new LabeledImage(empty, "green"), images.get(2));
        Path local = dir.resolve("local.h5");
        FeatureExtractor.of(settings().build()).extract(list, LABELS, local).close();
        Path out = dir.resolve("sharded");
        ShardManifest m = extractor().build().extract(SparkTests.table(spark, list, 2), LABELS, out.toString());
        assertEquals(3, m.failures());
        try (FeatureStore sharded = FeatureStore.open(out); FeatureStore single = FeatureStore.open(local)) {
            assertEquals(3, single.failures().size());
            assertEquals(single.failures(), sharded.failures(), "the same paths, with the same reasons, in the same order");
            assertTrue(single.failures().get(2).reason().startsWith("The file " + empty + " could not be decoded: it is empty"),
                    single.failures().get(2).reason());
            assertEquals(single.readPaths(0, 3), sharded.readPaths(0, 3));
            assertArrayEquals(single.readLabels(0, 3), sharded.readLabels(0, 3));
            double maxDiff = single.readFeatures(0, 3).sub(sharded.readFeatures(0, 3)).amaxNumber().doubleValue();
            assertTrue(maxDiff <= TOLERANCE, "largest difference " + maxDiff);
        }
    }

    @Test
    void aRemoteImageThatCannotBeDecodedIsRecordedUnderItsUriNotItsLocalCopy() throws IOException {
        Path notAnImage = Files.writeString(dir.resolve("remote-fake.png"), "this is text, not a PNG");
        List<Row> rows = List.of(RowFactory.create(TestFileSystem.uri(images.get(0).path()), images.get(0).label()),
                RowFactory.create(TestFileSystem.uri(notAnImage), "red"));
        Path out = dir.resolve("remote-failures");
        extractor().build().extract(SparkTests.rowTable(spark, rows, 1), LABELS, TestFileSystem.uri(out));
        Path local = dir.resolve("local-fake.h5");
        FeatureExtractor.of(settings().build()).extract(List.of(images.get(0), new LabeledImage(notAnImage, "red")), LABELS,
                local).close();
        try (FeatureStore remote = FeatureStore.open(out); FeatureStore single = FeatureStore.open(local)) {
            String key = TestFileSystem.SCHEME + ":" + notAnImage;
            assertEquals(List.of(key), remote.failures().stream().map(Failure::path).toList());
            assertEquals(single.failures().get(0).reason().replace(notAnImage.toString(), key),
                    remote.failures().get(0).reason(), "the local extractor's reason, naming the URI");
        }
    }

    @Test
    void failFastFailsTheJobAtAnUnreadableImageAndLeavesNoStore() throws IOException {
        Path notAnImage = Files.writeString(dir.resolve("fatal.png"), "this is text, not a PNG");
        List<Row> rows = List.of(RowFactory.create(images.get(0).path().toString(), images.get(0).label()),
                RowFactory.create(notAnImage.toString(), "red"));
        Path out = dir.resolve("fail-fast");
        SparkException e = assertThrows(SparkException.class, () -> extractor(settings().optFailFast(true)).build()
                .extract(SparkTests.rowTable(spark, rows, 1), LABELS, out.toString()));
        assertTrue(e.getMessage().contains("The file " + notAnImage + " could not be decoded"), e.getMessage());
        assertFalse(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void invalidInputsAreRefusedWithSpecificMessages() {
        Path out = dir.resolve("bad");
        SparkFeatureExtractor ex = extractor().build();
        IllegalArgumentException noColumn = assertThrows(IllegalArgumentException.class, () -> ex.extract(
                SparkTests.table(spark, images, 1).withColumnRenamed("path", "file"), LABELS, out.toString()));
        assertEquals("The image table needs a string column 'path', but its schema is struct<file:string,label:string>.",
                noColumn.getMessage());

        TransferKitException empty = assertThrows(TransferKitException.class,
                () -> ex.extract(SparkTests.rowTable(spark, List.<Row>of(), 2), LABELS, out.toString()));
        assertEquals("There are no images to extract into file:" + out + ": the input table is empty.", empty.getMessage());

        List<Row> unknown = List.of(RowFactory.create(images.get(0).path().toString(), "purple"));
        SparkException e = assertThrows(SparkException.class,
                () -> ex.extract(SparkTests.rowTable(spark, unknown, 1), LABELS, out.toString()));
        assertTrue(e.getMessage().contains("has the label 'purple', which is not one of the classes [red, green, blue]"),
                e.getMessage());

        MissingSettingException noSettings = assertThrows(MissingSettingException.class,
                () -> SparkFeatureExtractor.builder().build());
        assertEquals("A SparkFeatureExtractor needs extraction settings: call setExtraction.", noSettings.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class, () -> extractor(settings()
                .optTargets(List.of(new FeatureTarget("conv1", Pooling.AVG), new FeatureTarget("conv2", Pooling.AVG)))).build());
        assertTrue(two.getMessage().startsWith("A SparkFeatureExtractor writes one layer and pooling"), two.getMessage());
    }
}
