package dev.transferkit.examples;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.examples.data.EmojiDataset;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.LinearHead;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.LoadedFeatures;
import dev.transferkit.store.Pooling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main job: food vs non-food by feature extraction, trained on one emoji vendor's art style and tested on another's.
 *
 * <ol>
 *   <li>obtain the default pretrained network (MobileNetV2 from nsfwjs@4.4.0) and the emoji images (npm
 *       {@code emoji-datasource-google} for training, {@code emoji-datasource-twitter} for testing);</li>
 *   <li>extract globally averaged {@code out_relu} activations (1280 floats per image) into HDF5 stores;</li>
 *   <li>train an L2 logistic regression (C by 5-fold cross-validation, balanced class weights);</li>
 *   <li>print and save the classification report, save the predictor, reload it and classify a few test images.</li>
 * </ol>
 * Usage: {@code FoodVsNonFoodExample [work-dir] [max-images-per-class|all]}; defaults {@code transferkit-output/food}
 * and 200 (all 131 food emoji and a seeded sample of 200 non-food emoji per vendor, a few minutes on 2 cores).
 */
public final class FoodVsNonFoodExample {
    private FoodVsNonFoodExample() {
    }

    /**
     * Runs the example.
     *
     * @param args optional work directory and images per class ("all" for every emoji)
     * @throws IOException when the report cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path work = Path.of(args.length > 0 ? args[0] : "transferkit-output/food");
        String max = args.length > 1 ? args[1] : "200";
        Files.createDirectories(work);

        BaseModel model = NsfwjsSource.mobileNetV2().load();
        System.out.println("Model: " + model);
        EmojiDataset.Builder data = EmojiDataset.builder().optTrainVendor("google").optTestVendor("twitter");
        if (!max.equals("all")) {
            data.optMaxPerClass(Integer.parseInt(max));
        }
        EmojiDataset emoji = data.build();
        ImageFolder folder = ImageFolder.open(emoji.prepare());
        System.out.println("Dataset " + folder.root() + "\n" + emoji.summary());

        long t0 = System.nanoTime();
        FeatureStore train = extract(model, folder, EmojiDataset.TRAIN, work);
        FeatureStore test = extract(model, folder, EmojiDataset.TEST, work);
        double extractSeconds = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        LinearHead head = LinearHeadTrainer.builder()
                .setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{0.01, 0.1, 1, 10}, 5)
                .optClassWeights(ClassWeights.balanced())
                .build()
                .fit(train.loadAll());
        double trainSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.println("Head: " + head);

        LoadedFeatures testData = test.loadAll();
        float[][] x = testData.features().toFloatMatrix();
        int[] predicted = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            predicted[i] = head.predict(x[i]);
        }
        ClassificationReport report = ClassificationReport.of(testData.labelNames(), testData.labels(), predicted);
        System.out.println("\nTest report (train: google emoji, test: twitter emoji)\n" + report);
        System.out.println(report.confusionMatrix());
        report.save(work, "test-");
        System.out.printf("Feature extraction %.1f s, head training %.1f s. Report files in %s%n", extractSeconds, trainSeconds, work);

        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("task", "emoji food vs non-food");
        provenance.put("trainData", folder.root().resolve(EmojiDataset.TRAIN).toString());
        provenance.put("trainRows", Long.toString(train.rows()));
        provenance.put("testAccuracy", Double.toString(report.accuracy()));
        provenance.put("testBalancedAccuracy", Double.toString(report.balancedAccuracy()));
        Path modelFile = work.resolve("food-vs-nonfood.zip");
        TransferModel.of(FeatureExtractor.builder().setModel(model).build().pipeline(), head, provenance).save(modelFile);
        train.close();
        test.close();

        TransferModel predictor = TransferModel.load(modelFile);
        System.out.println("\nSaved and reloaded " + modelFile + " (" + Files.size(modelFile) / 1024 + " KB); a few test images:");
        List<LabeledImage> images = folder.images(EmojiDataset.TEST);
        for (int i = 0; i < images.size(); i += Math.max(1, images.size() / 6)) {
            LabeledImage image = images.get(i);
            System.out.println("  " + predictor.predict(image.path()) + "   (true: " + image.label() + ")");
        }
        System.out.println("\nCross-check with scikit-learn on the same stored features:\n  /usr/bin/python3 scripts/sklearn_on_stores.py "
                + work.resolve("train.h5") + " " + work.resolve("test.h5") + " " + head.c() + " balanced");
    }

    private static FeatureStore extract(BaseModel model, ImageFolder folder, String split, Path work) {
        return FeatureExtractor.builder()
                .setModel(model)
                .optPooling(Pooling.AVG)
                .optBatchSize(16)
                .optListener(new ConsoleProgressBar(split + " features", System.out))
                .build()
                .extract(folder, split, work.resolve(split + ".h5"));
    }
}
