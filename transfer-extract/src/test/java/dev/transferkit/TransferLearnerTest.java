package dev.transferkit;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.extract.TestImages;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.StoreDataSetIterator;
import dev.transferkit.extract.Pooling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransferLearnerTest {
    @Test
    void fitsEvaluatesAndReusesItsStores(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 15, 31);
        TestImages.write(dir.resolve("data"), "test", 5, 32);
        ImageFolder data = ImageFolder.open(dir.resolve("data"));
        TransferLearner learner = TransferLearner.builder().setExtraction(ExtractionSettings.builder()
                        .setModel(TinyNetworks.baseModel(List.of("x", "y", "z"))).optLayer("conv1").optPooling(Pooling.AVG_MAX)
                        .build())
                .setWorkDir(dir.resolve("work")).build();
        TransferModel model = learner.fit(data, "train");
        assertTrue(Files.exists(dir.resolve("work/train.h5")));
        assertEquals("30", model.provenance().get("trainRows"));
        ClassificationReport report = learner.evaluate(model, data, "test");
        assertEquals(10, report.confusionMatrix().total());
        assertTrue(report.accuracy() >= 0.8, report.toString());
        // The report from stored features equals predicting each image from its file.
        long correct = data.images("test").stream().filter(i -> model.predict(i.path()).label().equals(i.label())).count();
        assertEquals(report.accuracy(), correct / 10.0, 1e-12);
        long modified = Files.getLastModifiedTime(dir.resolve("work/test.h5")).toMillis();
        learner.evaluate(model, data, "test");
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve("work/test.h5")).toMillis(), "a complete store is reused");
    }

    @Test
    void anAutoLayerIsChosenByAProbeAndRecorded(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 10, 41);
        TestImages.write(dir.resolve("data"), "test", 4, 42);
        ImageFolder data = ImageFolder.open(dir.resolve("data"));
        TransferLearner learner = TransferLearner.builder()
                .setExtraction(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("x", "y", "z"))).build())
                .setWorkDir(dir.resolve("work")).optProbeLayers(true).build();
        assertThrows(IllegalStateException.class, learner::extractor);
        TransferModel model = learner.fit(data, "train");
        String chosen = learner.probe().orElseThrow().choice().layer();
        assertEquals(chosen, model.layer());
        assertTrue(List.of("conv2", "conv1").contains(chosen));
        assertEquals(chosen + "/AVG", model.provenance().get("probe.choice"));
        assertTrue(model.provenance().containsKey("probe.conv1/AVG") && model.provenance().containsKey("probe.conv2/AVG"),
                model.provenance().toString());
        assertEquals(8, learner.evaluate(model, data, "test").confusionMatrix().total());
    }

    @Test
    void acceptsAnIncrementalHeadTrainedFromTheStore(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 6, 33);
        ImageFolder data = ImageFolder.open(dir.resolve("data"));
        TransferModel model = TransferLearner.builder()
                .setExtraction(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("x", "y"))).build())
                .setWorkDir(dir.resolve("work"))
                .optHeadTrainer(store -> MlpHeadTrainer.builder().optHiddenLayers(4).optEpochs(2, 1).build()
                        .fit(StoreDataSetIterator.builder().setStore(store).setBatchSize(4).build(), null,
                                store.labelNames(), store.dim(), null))
                .build().fit(data, "train");
        assertTrue(model.head().toString().startsWith("MlpHead(16→4→2"), model.head().toString());
    }

    @Test
    void requiredSettingsAreNamedAndSeveralTargetsAreRefused(@TempDir Path dir) {
        MissingSettingException e = assertThrows(MissingSettingException.class, () -> TransferLearner.builder().build());
        assertEquals("A TransferLearner needs extraction settings: call setExtraction.", e.getMessage());
        ExtractionSettings settings = ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("x", "y"))).build();
        MissingSettingException e2 = assertThrows(MissingSettingException.class,
                () -> TransferLearner.builder().setExtraction(settings).build());
        assertEquals("A TransferLearner needs a work directory for its feature stores: call setWorkDir.", e2.getMessage());
        ExtractionSettings two = settings.toBuilder().optTargets(List.of(new FeatureTarget("conv1", Pooling.AVG),
                new FeatureTarget("conv2", Pooling.AVG))).build();
        IllegalArgumentException several = assertThrows(IllegalArgumentException.class,
                () -> TransferLearner.builder().setExtraction(two).setWorkDir(dir).build());
        assertTrue(several.getMessage().startsWith("A TransferLearner writes one layer and pooling, but the extraction"
                + " settings hold 2 targets [conv1/AVG, conv2/AVG]"), several.getMessage());
    }
}
