package dev.transferkit.predict;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.TestImages;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.StoreDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
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

/**
 * Predictors trained here (feature stores, linear and MLP heads) save, load and predict identically, also in a fresh
 * JVM; the predictor's own file handling is tested in transfer-predict ({@code SavedPredictorTest}).
 */
class TransferModelTest {
    static String line(Classification c) {
        StringBuilder sb = new StringBuilder(c.label());
        c.ranked().stream().sorted(Comparator.comparingInt(Prediction::index))
                .forEach(p -> sb.append(' ').append(Double.toHexString(p.probability())));
        return sb.toString();
    }

    private static FeatureExtractor extractor() {
        return FeatureExtractor.of(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("a", "b", "c"))).optLayer("conv1").optBatchSize(8).build());
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
            model = TransferModel.of(fx.pipeline(), head, dev.transferkit.image.ImageOptions.defaults(), Map.of("trainStore", "train.h5"));
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
            TransferModel model = TransferModel.of(fx.pipeline(), head, dev.transferkit.image.ImageOptions.defaults(), Map.of());
            Path file = dir.resolve("mlp.zip");
            model.save(file);
            TransferModel back = TransferModel.load(file);
            for (LabeledImage i : folder.images("train")) {
                assertEquals(line(model.predict(i.path())), line(back.predict(i.path())));
            }
        }
    }

    /** Writes wide images whose left half is transparent, so the resize policy and the background both matter. */
    private static void writeWideTransparent(Path root, int perClass) throws java.io.IOException {
        java.util.Random r = new java.util.Random(4);
        for (String cls : List.of("a", "b", "c")) {
            Path d = java.nio.file.Files.createDirectories(root.resolve("train").resolve(cls));
            for (int n = 0; n < perClass; n++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(48, 20, java.awt.image.BufferedImage.TYPE_INT_ARGB);
                int base = cls.equals("a") ? 0xD02010 : cls.equals("b") ? 0x1020D0 : 0x10D020;
                for (int y = 0; y < 20; y++) {
                    for (int x = 0; x < 48; x++) {
                        img.setRGB(x, y, x < 16 ? 0x00000000 : 0xFF000000 | (base ^ r.nextInt(0x303030)));
                    }
                }
                javax.imageio.ImageIO.write(img, "png", d.resolve(n + ".png").toFile());
            }
        }
    }

    @Test
    void aPredictorAppliesTheImageOptionsItsTrainingFeaturesWereMadeWith(@TempDir Path dir) throws Exception {
        writeWideTransparent(dir.resolve("data"), 4);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        dev.transferkit.image.ImageOptions crop = dev.transferkit.image.ImageOptions.builder()
                .optResize(dev.transferkit.image.ResizePolicy.CENTER_CROP).optBackground(new java.awt.Color(20, 200, 30)).build();
        FeatureExtractor fx = FeatureExtractor.of(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("a", "b", "c")))
                .optLayer("conv1").optBatchSize(8).optImageOptions(crop).build());
        try (FeatureStore train = fx.extract(folder, "train", dir.resolve("train.h5"))) {
            assertTrue(train.spec().imageOptions().samePixels(crop), train.spec().toString());
            var head = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).build().fit(train.loadAll());
            Path file = dir.resolve("model.zip");
            TransferModel.of(fx.pipeline(), head, train.spec().imageOptions(), Map.of()).save(file);
            TransferModel back = TransferModel.load(file);
            assertEquals(crop, back.imageOptions());
            TransferModel withDefaults = TransferModel.of(fx.pipeline(), head, dev.transferkit.image.ImageOptions.defaults(), Map.of());
            double differentWithDefaults = 0;
            for (int row = 0; row < train.rows(); row++) {
                Path image = Path.of(train.readPaths(row, 1).get(0));
                double[] stored = head.scores(train.readFeatures(row, 1).getRow(0).toFloatVector());
                double[] predicted = scores(back.predict(image));
                for (int c = 0; c < stored.length; c++) {
                    assertEquals(stored[c], predicted[c], 1e-6, image + " class " + c);
                }
                double[] other = scores(withDefaults.predict(image));
                for (int c = 0; c < stored.length; c++) {
                    differentWithDefaults = Math.max(differentWithDefaults, Math.abs(other[c] - stored[c]));
                }
            }
            assertTrue(differentWithDefaults > 1e-3, "the default options give other scores: " + differentWithDefaults);
            assertEquals(back.evaluate(train).toString(), back.evaluate(folder, "train").toString(),
                    "evaluating the images gives the report of their stored features");
        }
        // Resuming or reusing the store with other options is refused, naming both.
        FeatureExtractor squash = FeatureExtractor.of(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("a", "b", "c")))
                .optLayer("conv1").optBatchSize(8).build());
        Exception e = assertThrows(RuntimeException.class, () -> squash.extract(folder, "train", dir.resolve("train.h5")));
        assertTrue(e.getMessage().contains("image options") && e.getMessage().contains("CENTER_CROP")
                && e.getMessage().contains("SQUASH"), e.getMessage());
    }

    private static double[] scores(Classification c) {
        double[] s = new double[c.ranked().size()];
        c.ranked().forEach(p -> s[p.index()] = p.probability());
        return s;
    }
}
