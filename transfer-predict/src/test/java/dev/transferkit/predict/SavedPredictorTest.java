package dev.transferkit.predict;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.extract.Pooling;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ResizePolicy;
import dev.transferkit.image.TestImages;
import dev.transferkit.model.Classification;
import dev.transferkit.model.ModelLoadException;
import dev.transferkit.model.TinyNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A predictor's file round trip, its refusals, and evaluation on stored features, with nothing but this module: the
 * predictors are a network whose own output classifies and the version-1 fixture (a liblinear-format head). Trained
 * predictors are tested in transfer-extract ({@code TransferModelTest}).
 */
class SavedPredictorTest {
    private static final Path V1 = Path.of("src/test/resources/fixtures/v1/predictor-v1.zip");

    @TempDir
    Path dir;


    /** Features held in memory, as a feature store would hold them. */
    private record Features(FeatureOrigin origin, float[][] vectors, int[] labels, List<String> labelNames) implements StoredFeatures {
        @Override
        public Path path() {
            return Path.of("memory.h5");
        }

        @Override
        public int dim() {
            return vectors[0].length;
        }

        @Override
        public long rows() {
            return vectors.length;
        }

        @Override
        public INDArray readFeatures(long start, int count) {
            return Nd4j.create(Arrays.copyOfRange(vectors, (int) start, (int) start + count));
        }

        @Override
        public int[] readLabels(long start, int count) {
            return Arrays.copyOfRange(labels, (int) start, (int) start + count);
        }
    }

    @Test
    void aNetworkPredictorRoundTripsThroughItsFileWithItsImageOptions() throws IOException {
        ImageOptions crop = ImageOptions.builder().optResize(ResizePolicy.CENTER_CROP).build();
        TransferModel model = TransferModel.ofNetwork(TinyNetworks.baseModel(List.of("cat", "dog", "fox")), crop,
                Map.of("trainedOn", "nothing"));
        Path file = dir.resolve("network.zip");
        model.save(file);
        TransferModel back = TransferModel.load(file);
        assertEquals(List.of("cat", "dog", "fox"), back.labels());
        assertEquals(crop, back.imageOptions());
        assertEquals(Map.of("trainedOn", "nothing"), back.provenance());
        assertEquals(model.featureOrigin(), back.featureOrigin());
        for (Path p : List.of(TestImages.gradient(dir.resolve("a.png"), 20, 14, 0x203040),
                TestImages.gradient(dir.resolve("b.png"), 20, 14, 0x905010))) {
            Classification before = model.predict(p);
            Classification after = back.predict(p);
            assertEquals(before.ranked(), after.ranked(), "identical scores after loading");
            assertEquals(p, after.image());
            assertTrue(after.probabilistic());
            assertEquals(3, after.ranked().size(), "a predictor ranks every class");
        }
    }

    @Test
    void evaluatingStoredFeaturesScoresThemWithTheHead() {
        TransferModel v1 = TransferModel.load(V1);
        int dim = v1.head().inputDim();
        float[][] rows = new float[6][dim];
        int[] truth = {0, 1, 0, 1, 1, 0};
        int[] predicted = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < dim; j++) {
                rows[i][j] = (float) Math.sin(i * 7 + j) + (truth[i] == 1 && j < 4 ? 1.5f : 0);
            }
            predicted[i] = v1.head().predict(rows[i]);
        }
        ClassificationReport report = v1.evaluate(new Features(v1.featureOrigin(), rows, truth, v1.labels()));
        assertEquals(ClassificationReport.of(v1.labels(), truth, predicted).toString(), report.toString());
        assertEquals(6, report.confusionMatrix().total());
    }

    @Test
    void storedFeaturesOfAnotherOriginDimensionOrClassesAreRefused() {
        TransferModel v1 = TransferModel.load(V1);
        FeatureOrigin own = v1.featureOrigin();
        assertEquals(new FeatureTarget("conv2", Pooling.AVG), own.target());
        FeatureOrigin conv1 = new FeatureOrigin(own.model(), new FeatureTarget("conv1", Pooling.AVG), own.inputSpec(),
                own.preprocessing());
        float[][] rows = new float[2][v1.head().inputDim()];
        TransferKitException e = assertThrows(TransferKitException.class,
                () -> v1.evaluate(new Features(conv1, rows, new int[2], v1.labels())));
        assertTrue(e.getMessage().contains("memory.h5") && e.getMessage().contains("conv1/AVG")
                && e.getMessage().contains("conv2/AVG"), e.getMessage());
        e = assertThrows(TransferKitException.class, () -> v1.evaluate(new Features(own, new float[2][5], new int[2], v1.labels())));
        assertTrue(e.getMessage().contains("5-dimensional"), e.getMessage());
        e = assertThrows(TransferKitException.class,
                () -> v1.evaluate(new Features(own, rows, new int[2], List.of("cats", "wolves"))));
        assertTrue(e.getMessage().contains("[cats, wolves]"), e.getMessage());
    }

    @Test
    void brokenPredictorFilesAreNamed() throws Exception {
        Path missing = dir.resolve("none.zip");
        assertTrue(assertThrows(ModelLoadException.class, () -> TransferModel.load(missing)).getMessage().contains(missing.toString()));
        Path text = Files.writeString(dir.resolve("text.zip"), "hello");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> TransferModel.load(text));
        assertTrue(e.getMessage().contains(text + " is not a TransferKit predictor"), e.getMessage());
        Path baseOnly = dir.resolve("base.zip");
        TinyNetworks.baseModel(List.of("a", "b")).save(baseOnly);
        ModelLoadException e2 = assertThrows(ModelLoadException.class, () -> TransferModel.load(baseOnly));
        assertTrue(e2.getMessage().contains("is not a TransferKit predictor"), e2.getMessage());
    }
}
