package dev.transferkit.cli;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.ProgressListener;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The images a command runs through a network: the network ({@link ModelOptions}), the dataset, its split and the
 * images per batch. Shared by the commands that read a dataset's images: extract, probe and fine-tune.
 */
final class DataOptions {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "DATASET",
            description = "The dataset folder, laid out as DATASET/<split>/<class>/<image>.")
    Path data;

    @Option(names = {"-s", "--split"}, defaultValue = "train",
            description = "The split to extract, probe or train on. Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "" + ExtractionSettings.DEFAULT_BATCH_SIZE,
            description = "Images per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    /** @return the chosen network, loaded */
    BaseModel loadModel() {
        return modelOptions.source().load();
    }

    /** @return the dataset, opened */
    ImageFolder folder() {
        return ImageFolder.open(data);
    }

    /**
     * Loads the network and starts the settings of an extraction from it.
     *
     * @param listener where the extraction's progress goes
     * @return extraction settings with the network and this batch size, for the command to complete
     */
    ExtractionSettings.Builder extraction(ProgressListener listener) {
        return ExtractionSettings.builder().setModel(loadModel()).optBatchSize(batchSize).optListener(listener);
    }
}
