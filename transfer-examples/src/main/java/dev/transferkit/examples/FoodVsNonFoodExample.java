package dev.transferkit.examples;

import dev.transferkit.cli.ConsoleProgressBar;
import dev.transferkit.TransferLearner;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.examples.data.EmojiDataset;
import dev.transferkit.head.LinearHead;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.extract.Pooling;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The main job: food vs non-food by feature extraction, trained on one emoji vendor's art style and tested on another's.
 *
 * <ol>
 *   <li>obtain the default pretrained network (MobileNetV2 from nsfwjs@4.4.0) and the emoji images (npm
 *       {@code emoji-datasource-google} for training, {@code emoji-datasource-twitter} for testing);</li>
 *   <li>extract globally averaged {@code block_13_expand_relu} activations (576 floats per image) into HDF5 stores;</li>
 *   <li>train an L2 logistic regression (C by 5-fold cross-validation, balanced class weights);</li>
 *   <li>print and save the classification report, save the predictor, reload it and classify a few test images.</li>
 * </ol>
 * Usage: {@code FoodVsNonFoodExample [work-dir] [max-images-per-class|all] [layer]}; defaults {@code transferkit-output/food},
 * {@value #LAYER} and 200 (all 131 food emoji and a seeded sample of 200 non-food emoji per vendor, a few minutes on 2 cores).
 */
public final class FoodVsNonFoodExample {
    /**
     * The default feature layer: the expansion of MobileNetV2's block 13 (14x14x576). nsfwjs retrained the blocks after
     * block 10 for its own task; the README compares layers (third argument) on this task.
     */
    static final String LAYER = "block_13_expand_relu";

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
        String layer = args.length > 2 ? args[2] : LAYER;

        BaseModel model = NsfwjsSource.mobileNetV2().load();
        EmojiDataset.Builder data = EmojiDataset.builder().optTrainVendor("google").optTestVendor("twitter");
        if (!max.equals("all")) {
            data.optMaxPerClass(Arguments.positiveInt(max, "number of images per class"));
        }
        EmojiDataset emoji = data.build();
        ImageFolder folder = ImageFolder.open(emoji.prepare());
        System.out.println("Dataset " + folder.root() + "\n" + emoji.summary());
        run(model, folder, work, layer, System.out);
    }

    /**
     * Trains on the {@code train} split of a dataset, evaluates on its {@code test} split, saves the report and the
     * predictor into {@code work}, and classifies a few test images with the reloaded predictor.
     *
     * @param model  the pretrained network
     * @param folder the dataset, with {@code train} and {@code test} splits
     * @param work   where the stores, report and predictor go
     * @param layer  the feature layer
     * @param out    where the report goes
     * @return the test report
     * @throws IOException when the report cannot be written
     */
    public static ClassificationReport run(BaseModel model, ImageFolder folder, Path work, String layer, PrintStream out)
            throws IOException {
        Files.createDirectories(work);
        ExtractionSettings settings = ExtractionSettings.builder()
                .setModel(model)
                .optLayer(layer)
                .optPooling(Pooling.AVG)
                .optBatchSize(16)
                .optListener(new ConsoleProgressBar("features", out))
                .build();
        TransferLearner learner = TransferLearner.builder().setExtraction(settings).setWorkDir(work).build();
        out.println(learner);
        long t0 = System.nanoTime();
        TransferModel trained = learner.fit(folder, EmojiDataset.TRAIN);
        double fitSeconds = (System.nanoTime() - t0) / 1e9;
        out.println("Head: " + trained.head());
        long t1 = System.nanoTime();
        ClassificationReport report = learner.evaluate(trained, folder, EmojiDataset.TEST);
        double evaluateSeconds = (System.nanoTime() - t1) / 1e9;
        out.println("\nTest report (train: google emoji, test: twitter emoji)\n" + report);
        out.println(report.confusionMatrix());
        report.save(work, "test-");
        out.printf("Training (features + head) %.1f s, evaluation %.1f s. Report files in %s%n", fitSeconds, evaluateSeconds, work);

        Path modelFile = work.resolve("food-vs-nonfood.zip");
        trained.save(modelFile);
        TransferModel predictor = TransferModel.load(modelFile);
        out.println("\nSaved and reloaded " + modelFile + " (" + Files.size(modelFile) / 1024 + " KB); a few test images:");
        List<LabeledImage> images = folder.images(EmojiDataset.TEST);
        for (int i = 0; i < images.size(); i += Math.max(1, images.size() / 6)) {
            LabeledImage image = images.get(i);
            out.println("  " + predictor.predict(image.path()) + "   (true: " + image.label() + ")");
        }
        out.println("\nCross-check with scikit-learn on the same stored features:\n  /usr/bin/python3 scripts/sklearn_on_stores.py "
                + work.resolve("train.h5") + " " + work.resolve("test.h5") + " " + ((LinearHead) trained.head()).c() + " balanced");
        return report;
    }
}
