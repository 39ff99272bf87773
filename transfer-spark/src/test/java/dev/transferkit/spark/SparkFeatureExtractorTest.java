package dev.transferkit.spark;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.Failure;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.ShardManifest;
import dev.transferkit.store.StoreException;
import dev.transferkit.store.StoreMismatchException;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

class SparkFeatureExtractorTest {
    /** Largest difference allowed between a Spark row and the single-machine row (batches are cut differently). */
    private static final double TOLERANCE = 1e-5;
    private static final int PER_CLASS = 6;

    private static SparkSession spark;
    private static BaseModel model;
    private static List<LabeledImage> images;
    private static Path single;
    private static final LabelEncoder LABELS = LabelEncoder.fromList(SparkTests.CLASSES);

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkTests.session();
        model = TinyNetworks.baseModel(SparkTests.CLASSES);
        images = SparkTests.writeImages(shared.resolve("images"), PER_CLASS, 7);
        single = shared.resolve("single.h5");
        FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optBatchSize(5).build()).extract(images, LABELS, single).close();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    private static SparkFeatureExtractor.Builder extractor() {
        return SparkFeatureExtractor.builder().setModel(model).optBatchSize(4);
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
        SparkFeatureExtractor ex = SparkFeatureExtractor.builder().setModel(fresh).optBatchSize(4).build();
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

        StoreMismatchException e = assertThrows(StoreMismatchException.class, () -> extractor().optLayer("conv1").build()
                .extract(SparkTests.table(spark, images, 2), LABELS, out.toString()));
        assertTrue(e.getMessage().contains("was written with layer 'conv2' but this extractor uses layer 'conv1'"),
                e.getMessage());

        ShardManifest replaced = extractor().optOverwrite(true).build()
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

        dev.transferkit.core.MissingSettingException noModel = assertThrows(dev.transferkit.core.MissingSettingException.class, () -> SparkFeatureExtractor.builder().build());
        assertEquals("A SparkFeatureExtractor needs a model: call setModel.", noModel.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkFeatureExtractor.builder().optBatchSize(0));
    }
}
