package dev.transferkit.predict;

import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.TestImages;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.ModelLoadException;
import dev.transferkit.model.Prediction;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.StoreDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransferModelTest {
    static String line(Classification c) {
        StringBuilder sb = new StringBuilder(c.label());
        c.ranked().stream().sorted(Comparator.comparingInt(Prediction::index))
                .forEach(p -> sb.append(' ').append(Double.toHexString(p.probability())));
        return sb.toString();
    }

    private static FeatureExtractor extractor() {
        return FeatureExtractor.builder().setModel(TinyNetworks.baseModel(List.of("a", "b", "c"))).optLayer("conv1").optBatchSize(8).build();
    }

    @Test
    void aSavedPredictorGivesIdenticalPredictionsHereAndInAFreshJvm(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 12, 5);
        TestImages.write(dir.resolve("data"), "test", 4, 6);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        FeatureExtractor fx = extractor();
        TransferModel model;
        try (FeatureStore train = fx.extract(folder, "train", dir.resolve("train.h5"))) {
            var head = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).build().fit(train.loadAll());
            model = TransferModel.of(fx.pipeline(), head, Map.of("trainStore", "train.h5"));
        }
        List<LabeledImage> test = folder.images("test");
        long correct = test.stream().filter(i -> model.predict(i.path()).label().equals(i.label())).count();
        assertTrue(correct >= 6, "red vs blue squares are easy: " + correct + "/8");

        Path file = dir.resolve("model.zip");
        model.save(file);
        TransferModel back = TransferModel.load(file);
        assertEquals(model.labels(), back.labels());
        assertEquals("conv1", back.layer());
        assertEquals(Map.of("trainStore", "train.h5"), back.provenance());
        List<String> expected = new ArrayList<>();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PrintPredictions.class.getName(), file.toString()));
        for (LabeledImage i : test) {
            expected.add(line(model.predict(i.path())));
            assertEquals(expected.get(expected.size() - 1), line(back.predict(i.path())));
            cmd.add(i.path().toString());
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertEquals(expected, Arrays.asList(out.trim().split("\n")), "a fresh JVM predicts bit-identical scores");
    }

    @Test
    void anMlpHeadTrainedFromTheStoreRoundTrips(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 8, 7);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        FeatureExtractor fx = extractor();
        try (FeatureStore train = fx.extract(folder, "train", dir.resolve("train.h5"))) {
            StoreDataSetIterator it = StoreDataSetIterator.builder().setStore(train).setBatchSize(4).build();
            var head = MlpHeadTrainer.builder().optHiddenLayers(8).optEpochs(3, 1).build().fit(it, null, train.labelNames(), train.dim(), null);
            TransferModel model = TransferModel.of(fx.pipeline(), head, Map.of());
            Path file = dir.resolve("mlp.zip");
            model.save(file);
            TransferModel back = TransferModel.load(file);
            for (LabeledImage i : folder.images("train")) {
                assertEquals(line(model.predict(i.path())), line(back.predict(i.path())));
            }
        }
    }

    @Test
    void brokenPredictorFilesAreNamed(@TempDir Path dir) throws Exception {
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
