package dev.transferkit.extract;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageDecodeException;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.StoreMismatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureExtractorTest {
    private static final BaseModel MODEL = TinyNetworks.baseModel(List.of("a", "b", "c"));

    private static FeatureExtractor extractor(Pooling pooling, ProgressListener listener) {
        return FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optPooling(pooling).optBatchSize(4).optThreads(2)
                .optListener(listener).build());
    }

    @Test
    void dl4jsForwardPassWritesTheEnginesRowsInsideTheBatchWorkspace(@TempDir Path dir) throws Exception {
        // Batches run in a reused ND4J workspace; DL4J's own forward pass (the engine switched off) must work in it and
        // give the rows the engine gives, over more batches than the workspace's first, learning one.
        TestImages.write(dir.resolve("data"), "train", 9, 2);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        BaseModel dl4j = MODEL.toBuilder().optUseEngine(false).build();
        try (FeatureStore engine = FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optBatchSize(4).build())
                .extract(folder, "train", dir.resolve("engine.h5"));
             FeatureStore plain = FeatureExtractor.of(ExtractionSettings.builder().setModel(dl4j).optBatchSize(4).build())
                     .extract(folder, "train", dir.resolve("dl4j.h5"))) {
            assertEquals(18, plain.rows());
            assertEquals(engine.readPaths(0, 18), plain.readPaths(0, 18));
            for (int i = 0; i < 18; i++) {
                assertArrayEquals(engine.readFeatures(i, 1).toFloatVector(), plain.readFeatures(i, 1).toFloatVector(), 1e-5f,
                        "row " + i);
            }
        }
    }

    @Test
    void writesOneRowPerReadableImageAndRecordsTheRest(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 6, 1);
        Path bad = Files.writeString(dir.resolve("data/train/red/broken.png"), "not a png");
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        List<Progress> seen = new ArrayList<>();
        try (FeatureStore store = extractor(Pooling.AVG, seen::add).extract(folder, "train", dir.resolve("train.h5"))) {
            assertEquals(12, store.rows());
            assertEquals(16, store.dim(), "conv2 has 16 channels, averaged");
            assertEquals(List.of("blue", "red"), store.labelNames());
            assertEquals(1, store.failures().size());
            assertTrue(store.failures().get(0).toString().contains("broken.png"), store.failures().toString());
            // Each row equals the pipeline's features of that image, computed on its own.
            List<String> paths = store.readPaths(0, 12);
            INDArray rows = store.readFeatures(0, 12);
            FeaturePipeline p = new FeaturePipeline(MODEL, "conv2", Pooling.AVG);
            for (int i = 0; i < 12; i++) {
                INDArray one = p.features(MODEL.pipeline(ImageOptions.defaults()).load(Path.of(paths.get(i))));
                assertArrayEquals(one.toFloatVector(), rows.getRow(i).toFloatVector(), 1e-5f, "row " + i);
            }
        }
        Progress last = seen.get(seen.size() - 1);
        assertEquals(13, last.done());
        assertEquals(13, last.total());
        assertEquals(1, last.failed());
        assertTrue(last.toString().contains("13/13 images"), last.toString());
        assertTrue(Files.exists(bad));
    }

    @Test
    void anInterruptedRunResumesToTheSameRowsAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 10, 2);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        Path reference = dir.resolve("reference.h5");
        extractor(Pooling.MAX, null).extract(folder, "train", reference).close();

        Path store = dir.resolve("interrupted.h5");
        RuntimeException crash = new RuntimeException("simulated crash");
        int[] batches = {0};
        assertThrows(RuntimeException.class, () -> extractor(Pooling.MAX, p -> {
            if (++batches[0] == 2) {
                throw crash;
            }
        }).extract(folder, "train", store));
        try (FeatureStore partial = FeatureStore.openIncomplete(store)) {
            assertFalse(partial.isComplete());
            assertEquals(8, partial.rows(), "two batches of four were committed before the crash");
        }
        assertThrows(TransferKitException.class, () -> FeatureStore.open(store), "an incomplete store is never taken for complete");

        List<Progress> resumed = new ArrayList<>();
        try (FeatureStore a = extractor(Pooling.MAX, resumed::add).extract(folder, "train", store);
             FeatureStore b = FeatureStore.open(reference)) {
            assertEquals(b.rows(), a.rows());
            assertEquals(b.readPaths(0, 20), a.readPaths(0, 20));
            assertArrayEquals(b.readLabels(0, 20), a.readLabels(0, 20));
            assertEquals(b.readFeatures(0, 20), a.readFeatures(0, 20));
        }
        assertEquals(8 + 4, resumed.get(0).done(), "the resumed run starts after the committed rows");
    }

    @Test
    void aStoreOfAnotherPoolingIsRefusedAndACompleteOneIsReused(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 3, 3);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        Path store = dir.resolve("train.h5");
        extractor(Pooling.AVG, null).extract(folder, "train", store).close();
        StoreMismatchException e = assertThrows(StoreMismatchException.class,
                () -> extractor(Pooling.AVG_MAX, null).extract(folder, "train", store));
        assertTrue(e.getMessage().contains(store.toString()), e.getMessage());
        List<Progress> seen = new ArrayList<>();
        try (FeatureStore again = extractor(Pooling.AVG, seen::add).extract(folder, "train", store)) {
            assertEquals(6, again.rows());
        }
        assertTrue(seen.isEmpty(), "a complete store is reused without running the network");
    }

    @Test
    void failFastStopsAtTheFirstBrokenImage(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 2, 4);
        Files.writeString(dir.resolve("data/train/blue/000b.png"), "");
        FeatureExtractor fx = FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optFailFast(true).build());
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> fx.extract(ImageFolder.open(dir.resolve("data")), "train", dir.resolve("s.h5")));
        assertTrue(e.getMessage().contains("000b.png"), e.getMessage());
    }

    @Test
    void anEmptyImageListIsRefused(@TempDir Path dir) {
        TransferKitException empty = assertThrows(TransferKitException.class, () -> extractor(Pooling.AVG, null)
                .extract(List.of(), dev.transferkit.image.LabelEncoder.of("x", "y"), dir.resolve("e.h5")));
        assertTrue(empty.getMessage().contains("no images"), empty.getMessage());
    }

    @Test
    void poolingMatchesHandComputedValuesInBothLayouts() {
        // Two channels over a 2x2 grid: channel 0 = 1,2,3,4 and channel 1 = 10,20,30,40.
        INDArray nchw = Nd4j.create(new float[]{1, 2, 3, 4, 10, 20, 30, 40}, new long[]{1, 2, 2, 2}, 'c');
        INDArray nhwc = nchw.permute(0, 2, 3, 1).dup('c');
        for (Object[] c : new Object[][]{{nchw, DataFormat.NCHW}, {nhwc, DataFormat.NHWC}}) {
            INDArray a = (INDArray) c[0];
            DataFormat f = (DataFormat) c[1];
            assertArrayEquals(new float[]{2.5f, 25f}, FeaturePipeline.pool(a, Pooling.AVG, f).toFloatVector(), 1e-6f);
            assertArrayEquals(new float[]{4f, 40f}, FeaturePipeline.pool(a, Pooling.MAX, f).toFloatVector(), 1e-6f);
            assertArrayEquals(new float[]{2.5f, 25f, 4f, 40f}, FeaturePipeline.pool(a, Pooling.AVG_MAX, f).toFloatVector(), 1e-6f);
            assertEquals(8, FeaturePipeline.pool(a, Pooling.FLATTEN, f).columns());
        }
        assertArrayEquals(new float[]{1, 10, 2, 20, 3, 30, 4, 40},
                FeaturePipeline.pool(nhwc, Pooling.FLATTEN, DataFormat.NHWC).toFloatVector(), "NHWC flattens like Keras' Flatten");
        INDArray dense = Nd4j.create(new float[]{1, 2, 3}, new long[]{1, 3}, 'c');
        assertEquals(dense, FeaturePipeline.pool(dense, Pooling.AVG, DataFormat.NCHW));
        assertThrows(TransferKitException.class, () -> FeaturePipeline.pool(Nd4j.zeros(1, 2, 3), Pooling.AVG, DataFormat.NCHW));
    }
}
