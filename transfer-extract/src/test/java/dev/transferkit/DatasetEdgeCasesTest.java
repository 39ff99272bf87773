package dev.transferkit;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.TestImages;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Awkward dataset layouts end to end: an empty class folder, a class with one image, a split that lacks classes
 * the training split has, a split with a class the training split lacks, and stores that do not belong to the
 * predictor they are evaluated with.
 */
class DatasetEdgeCasesTest {
    @TempDir
    static Path dir;
    static ImageFolder data;

    @BeforeAll
    static void layout() throws IOException {
        data = layout(dir.resolve("data"));
    }

    /**
     * train: red 6 images, blue 1, green none (an empty folder); validation: red 3 (no blue, no green);
     * test: red 3, blue 3 and purple 1, a class the training split lacks.
     */
    static ImageFolder layout(Path root) throws IOException {
        TestImages.write(root, "train", 6, 41);
        try (Stream<Path> blue = Files.list(root.resolve("train/blue"))) {
            blue.sorted().skip(1).forEach(DatasetEdgeCasesTest::delete);
        }
        Files.createDirectories(root.resolve("train/green"));
        TestImages.write(root, "validation", 3, 42);
        try (Stream<Path> blue = Files.list(root.resolve("validation/blue"))) {
            blue.forEach(DatasetEdgeCasesTest::delete);
        }
        Files.delete(root.resolve("validation/blue"));
        TestImages.write(root, "test", 3, 43);
        Files.createDirectories(root.resolve("test/purple"));
        Files.copy(root.resolve("test/red/000.png"), root.resolve("test/purple/000.png"));
        return ImageFolder.open(root);
    }

    private static void delete(Path p) {
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static TransferLearner learner(BaseModel model, String work) {
        return TransferLearner.builder().setExtraction(ExtractionSettings.builder().setModel(model).optBatchSize(4).build())
                .setWorkDir(dir.resolve(work)).build();
    }

    @Test
    void theFolderReportsEmptyAndMissingClasses() {
        assertEquals(List.of("blue", "green", "red"), data.labelEncoder().toList(), "the train split's folders are the classes");
        assertEquals(List.of(dir.resolve("data/train/green")), data.emptyClasses());
        assertEquals(List.of("blue", "green"), data.missingClasses("validation"));
        assertEquals(List.of("green"), data.missingClasses("train"));
    }

    @Test
    void anEmptyTrainingClassIsNamedWhenTheHeadIsFitted() {
        TransferLearner learner = learner(TinyNetworks.baseModel(List.of("x", "y", "z")), "work-empty");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> learner.fit(data, "train"));
        assertTrue(e.getMessage().contains("'green' has no training examples"), e.getMessage());
    }

    @Test
    void aSingleImageClassTrainsAndASplitMissingClassesEvaluates() throws IOException {
        Path root = dir.resolve("no-empty");
        layout(root);
        Files.delete(root.resolve("train/green"));
        ImageFolder folder = ImageFolder.open(root);
        TransferLearner learner = learner(TinyNetworks.baseModel(List.of("x", "y")), "work-fit");
        TransferModel model = learner.fit(folder, "train");
        assertEquals(List.of("blue", "red"), model.labels());
        assertEquals(List.of("blue"), folder.missingClasses("validation"));
        ClassificationReport report = learner.evaluate(model, folder, "validation");
        assertEquals(3, report.confusionMatrix().total(), "three red validation images");
        assertFalse(Double.isNaN(report.accuracy()));
        for (int c = 0; c < 2; c++) {
            assertFalse(Double.isNaN(report.precision(c)) || Double.isNaN(report.recall(c)), "class " + c);
        }
        // Stored-feature evaluation agrees with classifying each file on its own.
        long correct = folder.images("validation").stream().filter(i -> model.predict(i.path()).label().equals(i.label())).count();
        assertEquals(correct / 3.0, report.accuracy(), 1e-12);
    }

    @Test
    void aSplitWithAClassTrainingLacksIsRefusedBeforeAnyStoreIsWritten() {
        Path work = dir.resolve("work-unknown");
        TransferKitException e = assertThrows(TransferKitException.class,
                () -> learner(TinyNetworks.baseModel(List.of("x", "y", "z")), "work-unknown").features(data, "test"));
        assertTrue(e.getMessage().contains("purple") && e.getMessage().contains(dir.resolve("data/test/purple/000.png").toString())
                && e.getMessage().contains("[blue, green, red]"), e.getMessage());
        assertFalse(Files.exists(work.resolve("test.h5")), "no half-made store is left behind");
    }

    @Test
    void aStoreWrittenWithAnotherLayerOrInputSizeIsRefusedByThePredictor() throws IOException {
        Path root = dir.resolve("for-predictor");
        layout(root);
        Files.delete(root.resolve("train/green"));
        ImageFolder data = ImageFolder.open(root);
        BaseModel at16 = TinyNetworks.baseModel(List.of("x", "y"));
        TransferModel model = learner(at16, "work-predictor").fit(data, "train");
        // Same network and name, but fed 20x20 images: its features differ, so evaluating with them would be wrong.
        BaseModel at20 = BaseModel.builder().setName(at16.name()).setGraph(at16.graph())
                .setInputSpec(new InputSpec(20, 20, 3, DataFormat.NCHW)).setPreprocessing(Preprocessing.TF)
                .optFeatureLayers(List.of("conv2", "conv1")).build();
        try (FeatureStore other = learner(at20, "work-20px").features(data, "validation")) {
            TransferKitException e = assertThrows(TransferKitException.class, () -> model.evaluate(other));
            assertTrue(e.getMessage().contains(other.path().toString()) && e.getMessage().contains("20"), e.getMessage());
        }
        TransferLearner conv1 = TransferLearner.builder()
                .setExtraction(ExtractionSettings.builder().setModel(at16).optLayer("conv1").build())
                .setWorkDir(dir.resolve("work-conv1")).build();
        try (FeatureStore other = conv1.features(data, "validation")) {
            TransferKitException e = assertThrows(TransferKitException.class, () -> model.evaluate(other));
            assertTrue(e.getMessage().contains(other.path().toString()) && e.getMessage().contains("conv1"), e.getMessage());
        }
    }
}
