package dev.transferkit.examples.bench;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.examples.data.EmojiDataset;
import dev.transferkit.examples.data.FashionMnist;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.LinearHead;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.probe.LayerProbe;
import dev.transferkit.probe.ProbeResult;
import dev.transferkit.probe.ProbeRow;
import dev.transferkit.store.FeatureStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures what choosing the layer by probe costs and whether its choice holds on unseen data, in one run:
 * <ol>
 *   <li>a single-layer extraction of the training split (the model's default layer) plus one head fit (logistic
 *       regression, C by 5-fold cross-validation: {@code TransferLearner}'s default head), timed;</li>
 *   <li>the probe of the model's declared feature layers on the same split, from empty stores, timed; the ratio of
 *       the two is the probe's cost;</li>
 *   <li>every candidate's head trained on its training store and evaluated on the test split (extracted for all
 *       candidates in one pass), so the probe's choice can be compared with the best candidate on the test split.</li>
 * </ol>
 * Data: the emoji food / non-food example (Google's images to train, Twitter's to test) or Fashion-MNIST. The CPU
 * flags are printed with the results.
 *
 * <pre>
 * java ... dev.transferkit.examples.bench.ProbeBench --data emoji --max 200 --work target/probe-bench
 * java ... dev.transferkit.examples.bench.ProbeBench --data fashion --limit 2000 --work target/probe-bench
 * </pre>
 */
public final class ProbeBench {
    private ProbeBench() {
    }

    /**
     * @param args {@code --data emoji|fashion}, {@code --max N} (emoji images per class, default 200),
     *             {@code --limit N} (Fashion-MNIST images per split, default 2000), {@code --work DIR},
     *             {@code --folds K} (default 5), {@code --model mobilenet_v2|inception_v3} (nsfwjs's networks, default
     *             mobilenet_v2), {@code --layers a,b,c} (the candidates; default the model's declared feature layers,
     *             the first of which is also the single-layer extraction's)
     * @throws IOException when the work directory cannot be cleared
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = InferenceBench.parse(args);
        String which = opt.getOrDefault("data", "emoji");
        Path work = Path.of(opt.getOrDefault("work", "target/probe-bench")).resolve(which);
        int folds = Integer.parseInt(opt.getOrDefault("folds", "5"));
        ImageFolder data = ImageFolder.open(switch (which) {
            case "emoji" -> EmojiDataset.builder().optTrainVendor("google").optTestVendor("twitter")
                    .optMaxPerClass(Integer.parseInt(opt.getOrDefault("max", "200"))).build().prepare();
            case "fashion" -> FashionMnist.builder().optLimit(Integer.parseInt(opt.getOrDefault("limit", "2000"))).build().prepare();
            default -> throw new IllegalArgumentException("--data is emoji or fashion, not '" + which + "'.");
        });
        BaseModel model = switch (opt.getOrDefault("model", "mobilenet_v2")) {
            case "mobilenet_v2" -> NsfwjsSource.mobileNetV2().load();
            case "inception_v3" -> NsfwjsSource.inceptionV3().load();
            default -> throw new IllegalArgumentException("--model is mobilenet_v2 or inception_v3, not '" + opt.get("model") + "'.");
        };
        List<String> layers = opt.containsKey("layers") ? List.of(opt.get("layers").split(",")) : model.featureLayers();
        System.out.println("# ProbeBench: " + which + ", " + model.name() + ", " + data.images("train").size() + " training and "
                + data.images("test").size() + " test images, " + folds + " folds");
        System.out.println(Machine.describe());
        System.out.println("load at start: " + Machine.loadAverage());
        delete(work);
        LinearHeadTrainer head = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{0.01, 0.1, 1, 10}, folds).optClassWeights(ClassWeights.balanced()).build();

        long t0 = System.nanoTime();
        ExtractionSettings settings = ExtractionSettings.builder().setModel(model).build();
        try (FeatureStore single = FeatureExtractor.of(settings).extract(data, "train", work.resolve("single/train.h5"))) {
            head.fit(single.loadAll());
        }
        double singleSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        ProbeResult probe = LayerProbe.builder().setExtraction(settings).optLayers(layers).optFolds(folds).build()
                .probe(data, "train", work.resolve("probe"));
        double probeSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.println();
        System.out.print(probe.table());
        System.out.printf(Locale.ROOT, "%nSingle-layer extraction + one head fit: %.1f s. Probe of %d candidates: %.1f s"
                + " (%.2fx).%n", singleSeconds, probe.rows().size(), probeSeconds, probeSeconds / singleSeconds);

        List<FeatureTarget> targets = probe.rows().stream().map(ProbeRow::target).toList();
        Map<FeatureTarget, FeatureStore> test = FeatureExtractor.of(settings.toBuilder().optTargets(targets).build())
                .extractAll(data.images("test"), data.labelEncoder(), work.resolve("probe-test"));
        System.out.println("\n| candidate | CV balanced accuracy (train) | test accuracy | test balanced accuracy |");
        System.out.println("|---|---|---|---|");
        double bestTest = -1;
        double chosenTest = -1;
        for (ProbeRow row : probe.rows()) {
            LinearHead h;
            try (FeatureStore train = FeatureStore.open(work.resolve("probe").resolve(row.target().storeFileName()))) {
                h = head.fit(train.loadAll());
            }
            try (FeatureStore t = test.get(row.target())) {
                ClassificationReport report = TransferModel.of(new dev.transferkit.extract.FeaturePipeline(model,
                        row.target().layer(), row.target().pooling()), h, t.spec().imageOptions(), Map.of()).evaluate(t);
                System.out.printf(Locale.ROOT, "| %s%s | %.3f | %.3f | %.3f |%n", row.target(), row == probe.winner() ? " (chosen)" : "",
                        row.balancedAccuracy(), report.accuracy(), report.balancedAccuracy());
                bestTest = Math.max(bestTest, report.balancedAccuracy());
                if (row == probe.winner()) {
                    chosenTest = report.balancedAccuracy();
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nThe chosen candidate scores %.3f balanced accuracy on the test split; the best"
                + " candidate %.3f (%.1f points apart).%n", chosenTest, bestTest, 100 * (bestTest - chosenTest));
        System.out.println(Machine.describe());
        System.out.println("load at end: " + Machine.loadAverage());
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
