package dev.transferkit.cli;

import dev.transferkit.predict.TransferModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The saved predictor a command uses. */
final class SavedPredictorOption {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PREDICTOR.zip", description = "The saved predictor.")
    Path model;

    /** @return the predictor, loaded */
    TransferModel load() {
        return TransferModel.load(model);
    }
}
