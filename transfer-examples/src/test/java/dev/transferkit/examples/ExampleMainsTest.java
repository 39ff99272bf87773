package dev.transferkit.examples;

import dev.transferkit.TransferLearner;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.examples.bench.ExtractionMemoryBench;
import dev.transferkit.examples.data.IdxFiles;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.model.ZooArchitecture;
import dev.transferkit.model.ZooSource;
import dev.transferkit.io.Downloader;
import dev.transferkit.predict.PredictionWriter;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each example main, run offline on tiny generated data with core's tiny test network injected. */
class ExampleMainsTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void largerThanMemoryExtractsStoresAndTrainsFromDisk() throws IOException {
        Path idx = dir.resolve("idx");
        int[] train = new int[30];
        int[] test = new int[10];
        for (int i = 0; i < train.length; i++) {
            train[i] = i % 10;
        }
        for (int i = 0; i < test.length; i++) {
            test[i] = i % 10;
        }
        IdxFiles.images(idx.resolve("train-images-idx3-ubyte.gz"), train.length, 28, 28);
        IdxFiles.labels(idx.resolve("train-labels-idx1-ubyte.gz"), train);
        IdxFiles.images(idx.resolve("t10k-images-idx3-ubyte.gz"), test.length, 28, 28);
        IdxFiles.labels(idx.resolve("t10k-labels-idx1-ubyte.gz"), test);
        LargerThanMemoryExample.Result r = LargerThanMemoryExample.run(LargerThanMemoryExample.Settings.builder()
                .optModel(() -> TinyNetworks.baseModel(List.of("a", "b")).toBuilder(), "conv1").optInputSize(16)
                .optImagesPerSplit(0).optFashionMnistDir(idx).optDatasetCacheDir(dir.resolve("cache"))
                .optWorkDir(dir.resolve("work")).optEpochs(2, 1).optBatchSize(8).build(), out);
        assertEquals(30, r.trainRows());
        assertEquals(10, r.testRows());
        assertEquals(7 * 7 * 8, r.dim(), "flattened conv1 of a 16x16 input: 7x7x8");
        assertEquals(40L * 392 * 4, r.rawBytes());
        assertEquals(Files.size(dir.resolve("work/train.h5")) + Files.size(dir.resolve("work/test.h5")), r.storeBytes());
        assertEquals(10, r.report().labels().size());
        assertEquals(10, r.report().confusionMatrix().total());
        assertTrue(Files.isRegularFile(r.modelFile()));
        assertTrue(r.memory().peakHeapBytes() > 0 && r.memory().peakHeapBytes() <= r.memory().maxHeapBytes());
        assertTrue(printed().contains("epoch 2") && printed().contains("peak RSS"), printed());
        assertEquals(10, TransferModel.load(r.modelFile()).labels().size());
    }

    @Test
    void largerThanMemoryRejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LargerThanMemoryExample.Settings.builder().optImagesPerSplit(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LargerThanMemoryExample.main(new String[]{"lots"}));
        assertTrue(e.getMessage().contains("'lots'"), e.getMessage());
    }

    @Test
    void predictPrintsOneLinePerImageAsTextOrCsv() throws IOException {
        Path data = TinyData.dataset(dir.resolve("data"), 4);
        ImageFolder folder = ImageFolder.open(data);
        TransferLearner learner = TransferLearner.builder()
                .setExtraction(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(TinyData.CLASSES)).optLayer("conv2").build())
                .setWorkDir(dir.resolve("work")).build();
        Path model = dir.resolve("model.zip");
        learner.fit(folder, "train").save(model);

        PredictionWriter.Summary text = PredictExample.run(model, List.of(data.resolve("test")), false, out);
        assertEquals(new PredictionWriter.Summary(8, 0), text);
        assertEquals(9, printed().strip().lines().count(), printed()); // the predictor line, then one per image
        assertTrue(printed().contains("test/red/0.png"), printed());

        bytes.reset();
        PredictExample.run(model, List.of(data.resolve("test/red/1.png")), true, out);
        List<String> rows = printed().strip().lines().toList();
        assertEquals(List.of("file", "label", "score", "error"), List.of(rows.get(0).split(",")));
        assertTrue(rows.get(1).matches(".*red/1\\.png,(red|blue),[0-9.]+,"), rows.get(1));
    }

    @Test
    void predictNamesAMissingModelOrImage() throws IOException {
        Path image = TinyData.image(dir.resolve("x.png"), true, new java.util.Random(1));
        Path missing = dir.resolve("nope.zip");
        Exception e = assertThrows(RuntimeException.class, () -> PredictExample.run(missing, List.of(image), false, out));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PredictExample.main(new String[]{"--csv", "model.zip"}));
        assertTrue(e.getMessage().startsWith("Usage: PredictExample"), e.getMessage());
    }

    @Test
    void classifyFallsBackWithAMessageWhenTheZooIsUnreachable() throws IOException {
        Path image = TinyData.image(dir.resolve("dog.png"), true, new java.util.Random(1));
        ZooSource unreachable = ZooSource.builder().setArchitecture(ZooArchitecture.SQUEEZENET).optCacheDir(dir.resolve("zoo"))
                .optBaseUrl(URI.create("http://127.0.0.1:1/"))
                .optDownloader(Downloader.builder().optRetries(0).build()).build();
        ClassifyExample.Result r = ClassifyExample.run(List.of(image), unreachable, () -> TinyNetworks.baseModel(TinyData.CLASSES).toBuilder(), 2, out);
        assertTrue(r.fellBack());
        assertEquals("tiny-convnet", r.modelName());
        assertEquals(2, r.predictions().get(0).ranked().size());
        assertTrue(printed().contains("Could not load the preferred network") && printed().contains("127.0.0.1:1"), printed());
        assertTrue(printed().contains("Falling back to the network tiny-convnet, whose head knows 2 classes [blue, red]"), printed());
        assertTrue(printed().contains("dog.png"), printed());
    }

    @Test
    void classifyUsesThePreferredNetworkWhenItLoads() throws IOException {
        Path image = TinyData.image(dir.resolve("cat.png"), false, new java.util.Random(2));
        ClassifyExample.Result r = ClassifyExample.run(List.of(image), () -> TinyNetworks.baseModel(TinyData.CLASSES).toBuilder(),
                () -> {
                    throw new AssertionError("the fallback must not be loaded");
                }, 1, out);
        assertFalse(r.fellBack());
        assertTrue(printed().contains("Using the network tiny-convnet with 2 classes."), printed());
    }

    @Test
    void foodVsNonFoodRunsOnAnInjectedDataset() throws IOException {
        Path data = TinyData.dataset(dir.resolve("food"), 6);
        ClassificationReport report = FoodVsNonFoodExample.run(TinyNetworks.baseModel(TinyData.CLASSES), ImageFolder.open(data),
                dir.resolve("work"), "conv2", out);
        assertEquals(12, report.confusionMatrix().total());
        assertTrue(Files.isRegularFile(dir.resolve("work/food-vs-nonfood.zip")));
        assertTrue(Files.isRegularFile(dir.resolve("work/test-confusion.png")));
        assertTrue(printed().contains("Saved and reloaded") && printed().contains("sklearn_on_stores.py"), printed());
    }

    @Test
    void extractionMemoryBenchWritesItsStore() throws IOException {
        ExtractionMemoryBench.main(new String[]{"4", dir.toString()});
        try (FeatureStore store = FeatureStore.open(dir.resolve("train.h5"))) {
            assertEquals(4, store.rows());
            assertEquals(3136, store.dim());
        }
    }

    @Test
    void memoryUseReadsThePeakResidentSetSize() throws IOException {
        Path status = Files.writeString(dir.resolve("status"), "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  1234 kB\n");
        assertEquals(1234 * 1024, MemoryUse.peakRss(status));
        assertEquals(-1, MemoryUse.peakRss(dir.resolve("missing")));
        assertEquals(-1, MemoryUse.peakRss(Files.writeString(dir.resolve("other"), "Name:\tjava\n")));
    }
}
