package dev.transferkit.examples;

import dev.transferkit.cli.ConsoleProgressBar;
import dev.transferkit.TransferLearner;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.examples.data.EmojiDataset;
import dev.transferkit.finetune.Augmentation;
import dev.transferkit.finetune.EpochStats;
import dev.transferkit.finetune.FineTuneListener;
import dev.transferkit.finetune.FineTuneResult;
import dev.transferkit.finetune.FineTuner;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.io.FileTrees;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.model.Classification;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.extract.Pooling;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Frozen features versus fine-tuning on the food / non-food emoji task, side by side in one run: train on google's
 * emoji, test on twitter's.
 *
 * <ol>
 *   <li><b>frozen features</b>: globally averaged activations of the cut layer, logistic regression on top
 *       ({@link TransferLearner}, as in {@link FoodVsNonFoodExample});</li>
 *   <li><b>fine-tuning</b> ({@link FineTuner}): a new head (dense 128, dropout 0.3) trained on the frozen base's cached
 *       activations, then the last blocks below the cut unfrozen and trained with a 10x lower learning rate,
 *       discriminative learning rates and Keras-style augmentation of the training images; checkpoints after every
 *       epoch.</li>
 * </ol>
 * Both use the same network (MobileNetV2 from nsfwjs@4.4.0), the same cut layer and the same images, and are scored on
 * the test split once, at the end; the test split is not used during training. Prints a table (method, accuracy,
 * balanced accuracy, training and test time) and writes the fine-tuning history as CSV and PNG.
 *
 * <p>Usage: {@code FineTuneExample [work-dir] [max-images-per-class|all] [phase1-epochs] [phase2-epochs] [unfrozen-blocks]
 * [batch-size]}; defaults {@code transferkit-output/finetune 60 20 2 2 4} (minutes on 2 cores: phase-1 epochs are
 * cheap since they train on cached activations; phase 2 runs the network every epoch). Phase 2 trains through DL4J's
 * layers at 224x224, whose memory (off-heap) grows with the batch: a batch of 16 peaked at 14 GB RSS here and was killed for memory, as was a batch of 8 on this shared machine.
 */
public final class FineTuneExample {
    /** The cut layer for both methods; see {@link FoodVsNonFoodExample#LAYER}. */
    static final String LAYER = FoodVsNonFoodExample.LAYER;

    private FineTuneExample() {
    }

    /**
     * The settings of a comparison.
     *
     * @param layer          the cut layer
     * @param phase1Epochs   epochs of the new head on the frozen base
     * @param phase2Epochs   epochs with the last blocks unfrozen
     * @param unfrozenBlocks how many blocks below the cut are unfrozen in phase 2
     * @param batchSize      images per batch
     */
    record Settings(String layer, int phase1Epochs, int phase2Epochs, int unfrozenBlocks, int batchSize) {
    }

    /**
     * One method's scores on the test split.
     *
     * @param method           what was done
     * @param accuracy         fraction correct
     * @param balancedAccuracy mean recall over the classes
     * @param trainSeconds     wall-clock time of training (feature extraction or both phases included)
     * @param testSeconds      wall-clock time of classifying the test split
     */
    record Row(String method, double accuracy, double balancedAccuracy, double trainSeconds, double testSeconds) {
    }

    /**
     * Runs the example.
     *
     * @param args optional work directory, images per class ("all" for every emoji), phase-1 epochs, phase-2 epochs,
     *             unfrozen blocks and batch size
     * @throws IOException when an output file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path work = Path.of(args.length > 0 ? args[0] : "transferkit-output/finetune");
        String max = args.length > 1 ? args[1] : "60";
        Settings settings = new Settings(LAYER, args.length > 2 ? Integer.parseInt(args[2]) : 20,
                args.length > 3 ? Integer.parseInt(args[3]) : 2, args.length > 4 ? Integer.parseInt(args[4]) : 2,
                args.length > 5 ? Integer.parseInt(args[5]) : 4);

        BaseModel model = NsfwjsSource.mobileNetV2().load();
        EmojiDataset.Builder data = EmojiDataset.builder().optTrainVendor("google").optTestVendor("twitter");
        if (!max.equals("all")) {
            data.optMaxPerClass(Integer.parseInt(max));
        }
        EmojiDataset emoji = data.build();
        ImageFolder folder = ImageFolder.open(emoji.prepare());
        System.out.println("Model: " + model.name() + "\nDataset " + folder.root() + "\n" + emoji.summary());
        List<Row> rows = compare(model, folder, EmojiDataset.TRAIN, EmojiDataset.TEST, work, settings, System.out);
        System.out.println("\nTest split (train: google emoji, test: twitter emoji), " + settings + ":\n" + table(rows));
    }

    /**
     * Trains both methods on {@code trainSplit} and scores them on {@code testSplit}.
     *
     * @param model      the pretrained network
     * @param folder     the images
     * @param trainSplit the training split
     * @param testSplit  the test split
     * @param work       where feature stores, checkpoints, history and predictors go (previous feature stores there
     *                   are deleted so that extraction is timed afresh; fine-tuning resumes from a checkpoint there)
     * @param settings   the settings
     * @param log        progress output
     * @return one row per method
     * @throws IOException when the work directory cannot be cleaned
     */
    static List<Row> compare(BaseModel model, ImageFolder folder, String trainSplit, String testSplit, Path work,
                             Settings settings, PrintStream log) throws IOException {
        List<Row> rows = new ArrayList<>();

        Path frozenDir = work.resolve("frozen");
        FileTrees.deleteRecursively(frozenDir);
        TransferLearner learner = TransferLearner.builder().setWorkDir(frozenDir)
                .setExtraction(ExtractionSettings.builder().setModel(model).optLayer(settings.layer()).optPooling(Pooling.AVG)
                        .optBatchSize(settings.batchSize()).optListener(new ConsoleProgressBar("features", log)).build())
                .build();
        log.println(learner);
        long t0 = System.nanoTime();
        TransferModel frozen = learner.fit(folder, trainSplit);
        double frozenTrain = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        ClassificationReport frozenReport = learner.evaluate(frozen, folder, testSplit);
        rows.add(new Row("frozen features + logistic regression", frozenReport.accuracy(), frozenReport.balancedAccuracy(),
                frozenTrain, (System.nanoTime() - t1) / 1e9));

        // Kept between runs: an interrupted run (e.g. killed for memory) resumes from its last checkpoint, and its
        // reported time then includes the interrupted attempts up to that checkpoint.
        Path tuneDir = work.resolve("finetune");
        FineTuner tuner = FineTuner.builder().setBaseModel(model).optCutLayer(settings.layer())
                .optHead(new int[]{128}, 0.3)
                .optPhase1(settings.phase1Epochs(), 1e-3)
                .optPhase2(settings.phase2Epochs(), settings.unfrozenBlocks(), 1e-4, FineTuner.Phase2Updater.ADAM)
                .optDiscriminativeLr(0.5)
                .optAugmentation(Augmentation.builder().optRotation(15).optWidthShift(0.1).optHeightShift(0.1)
                        .optZoom(0.1).optHorizontalFlip(true).build(), false) // phase 1 trains on cached activations
                .optClassWeights(ClassWeights.balanced())
                .optBatchSize(settings.batchSize())
                .optOutputDir(tuneDir)
                .optCheckpointDir(tuneDir.resolve("checkpoints"))
                .optListener(new FineTuneListener() {
                    @Override
                    public void onEpochEnd(EpochStats stats) {
                        log.println("  " + stats);
                    }
                })
                .build();
        log.println(tuner);
        FineTuneResult tuned = tuner.fit(folder, trainSplit, null);
        long t2 = System.nanoTime();
        ClassificationReport tunedReport = tuned.model().evaluate(folder, testSplit);
        rows.add(new Row("fine-tuned (" + settings.phase1Epochs() + " + " + settings.phase2Epochs() + " epochs, last "
                + settings.unfrozenBlocks() + " blocks)", tunedReport.accuracy(), tunedReport.balancedAccuracy(),
                tuned.phase1Seconds() + tuned.phase2Seconds(), (System.nanoTime() - t2) / 1e9));
        tuned.model().save(tuneDir.resolve("food-vs-nonfood-finetuned.zip"));
        log.println("Fine-tuning history: " + tuneDir.resolve("history.csv") + ", " + tuneDir.resolve("history.png"));
        return rows;
    }

    /** @return the rows as an aligned text table */
    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-45s %9s %18s %10s %9s%n", "method", "accuracy",
                "balanced accuracy", "train s", "test s"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%-45s %9.3f %18.3f %10.1f %9.1f%n", r.method(), r.accuracy(),
                    r.balancedAccuracy(), r.trainSeconds(), r.testSeconds()));
        }
        return sb.toString();
    }
}
