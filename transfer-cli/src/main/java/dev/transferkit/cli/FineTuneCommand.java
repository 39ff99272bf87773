package dev.transferkit.cli;

import dev.transferkit.finetune.Augmentation;
import dev.transferkit.finetune.EpochStats;
import dev.transferkit.finetune.FineTuneResult;
import dev.transferkit.finetune.FineTuner;
import dev.transferkit.image.ImageFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code transferkit fine-tune}: freeze the base, train a new head, optionally unfreeze the top and train on. */
@Command(name = "fine-tune", mixinStandardHelpOptions = true,
        description = {"Fine-tune a pretrained network on DATASET/<split>/<class>/<image> and save the predictor.",
                "Phase 1 trains a new head on the frozen base; phase 2 (--phase2-epochs > 0) also trains the base from"
                        + " --unfreeze-from on, with a lower learning rate.",
                "Before training, each phase's peak memory is estimated; a batch size (-b) that does not fit the memory"
                        + " available is refused, naming one that does. The defaults (MobileNetV2, head only, batch 32) need"
                        + " about 0.7 GB; with --unfreeze-from block_12_expand, about 1.8 GB."})
final class FineTuneCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--validation-split", description = "A validation split for early stopping, best-epoch selection and the history. Default: 10 %% of the training split, held out (stratified).")
    String validationSplit;

    @Option(names = "--cut-layer", description = "The last base layer kept. Default: the model's recommended feature layer.")
    String cutLayer;

    @Option(names = "--dense", split = ",", paramLabel = "N", description = "Dense layer sizes of the new head (0 for none). Default: 256.")
    int[] dense = {256};

    @Option(names = "--dropout", defaultValue = "0.5", description = "Dropout after each dense layer. Default: ${DEFAULT-VALUE}.")
    double dropout;

    @Option(names = "--epochs", defaultValue = "10", description = "Phase-1 epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Phase-1 Adam learning rate. Default: ${DEFAULT-VALUE}.")
    double learningRate;

    @Option(names = "--phase2-epochs", defaultValue = "0", description = "Phase-2 epochs; 0 skips phase 2. Default: ${DEFAULT-VALUE}.")
    int phase2Epochs;

    @Option(names = "--unfreeze-from", description = "The first base layer trained in phase 2.")
    String unfreezeFrom;

    @Option(names = "--phase2-lr", defaultValue = "1e-5", description = "Phase-2 learning rate. Default: ${DEFAULT-VALUE}.")
    double phase2LearningRate;

    @Option(names = "--phase2-updater", defaultValue = "ADAM", description = "${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    FineTuner.Phase2Updater phase2Updater;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--augment", description = "Augment training images (rotation 20 degrees, shifts and zoom 0.1, horizontal flips).")
    boolean augment;

    @Option(names = "--history-dir", paramLabel = "DIR", description = "Where history.csv and history.png are written.")
    Path historyDir;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PREDICTOR.zip", description = "The predictor to write.")
    Path output;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where a checkpoint is written after every epoch; "
            + "running the same command again resumes from it. Default: PREDICTOR.zip.checkpoints next to the predictor.")
    Path checkpointDir;

    @Option(names = "--no-memory-check", description = "Train even when the estimated peak memory exceeds the memory available.")
    boolean noMemoryCheck;

    @Override
    public Integer call() {
        ImageFolder folder = dataOptions.folder();
        FineTuner.Builder b = FineTuner.builder().setBaseModel(dataOptions.loadModel())
                .optHead(dense.length == 1 && dense[0] == 0 ? new int[0] : dense, dropout)
                .optPhase1(epochs, learningRate).optBatchSize(dataOptions.batchSize).optSeed(seed).optMemoryCheck(!noMemoryCheck);
        if (cutLayer != null) {
            b.optCutLayer(cutLayer);
        }
        if (phase2Epochs > 0) {
            if (unfreezeFrom == null) {
                throw new IllegalArgumentException("--phase2-epochs " + phase2Epochs + " needs --unfreeze-from, the first base layer to train in phase 2.");
            }
            b.optPhase2(phase2Epochs, unfreezeFrom, phase2LearningRate, phase2Updater);
        }
        if (augment) {
            b.optAugmentation(Augmentation.builder().optRotation(20).optWidthShift(0.1).optHeightShift(0.1).optZoom(0.1)
                    .optHorizontalFlip(true).build());
        }
        if (historyDir != null) {
            b.optOutputDir(historyDir);
        }
        Path checkpoints = checkpointDir != null ? checkpointDir
                : output.toAbsolutePath().resolveSibling(output.getFileName() + ".checkpoints");
        b.optCheckpointDir(checkpoints);
        FineTuner tuner = b.build();
        main.err.println(tuner);
        Main.onInterrupt("Interrupted: the checkpoints in " + checkpoints + " keep every finished epoch; run the same command "
                + "again to resume from the last one.");
        FineTuneResult result = tuner.fit(folder, dataOptions.split, validationSplit);
        for (EpochStats e : result.history().epochs()) {
            main.out.println(e);
        }
        result.model().save(output);
        main.out.println("Saved " + output + ": " + result.model());
        return 0;
    }
}
