package dev.transferkit.cli;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.ProgressListener;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The dataset and the images per batch, shared by the commands that read images: extract, probe and fine-tune. */
final class DataOptions {
    @Option(names = {"-d", "--data"}, required = true, paramLabel = "DATASET",
            description = "The dataset folder, laid out as DATASET/<split>/<class>/<image>.")
    Path data;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "" + ExtractionSettings.DEFAULT_BATCH_SIZE,
            description = "Images per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    /** @return the dataset, opened */
    ImageFolder folder() {
        return ImageFolder.open(data);
    }

    /**
     * @param base     the network to extract with
     * @param listener where the extraction's progress goes
     * @return extraction settings with this batch size, for the command to complete
     */
    ExtractionSettings.Builder extraction(BaseModel base, ProgressListener listener) {
        return ExtractionSettings.builder().setModel(base).optBatchSize(batchSize).optListener(listener);
    }
}
