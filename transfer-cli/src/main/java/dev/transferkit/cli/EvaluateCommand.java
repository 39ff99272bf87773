package dev.transferkit.cli;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code transferkit evaluate}: a scikit-learn style report of a predictor on a store or a dataset split. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate a saved predictor on a feature store or a dataset split.",
                "A store must come from the same network, layer and pooling; a split's images are decoded with the predictor's image options."})
final class EvaluateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    SavedPredictorOption savedPredictor;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** Either a store or a dataset. */
    static final class Input {
        @Option(names = "--store", paramLabel = "STORE.h5", description = "A feature store.")
        Path store;

        @Option(names = {"-d", "--data"}, paramLabel = "DATASET", description = "A dataset folder.")
        Path data;
    }

    @Option(names = {"-s", "--split"}, defaultValue = "test", description = "The split of --data. Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = "--report-dir", paramLabel = "DIR", description = "Also save the report as CSV and the confusion matrix as CSV and PNG here.")
    Path reportDir;

    @Override
    public Integer call() {
        TransferModel predictor = savedPredictor.load();
        ClassificationReport report;
        if (input.store != null) {
            try (FeatureStore store = FeatureStore.open(input.store)) {
                report = predictor.evaluate(store);
            }
        } else {
            ImageFolder folder = ImageFolder.open(input.data);
            if (!folder.splits().contains(split)) {
                throw new TransferKitException("The dataset " + input.data + " has no split '" + split + "'; it has " + folder.splits() + ".");
            }
            report = predictor.evaluate(folder, split); // the predictor's own image options
        }
        main.out.println(report);
        main.out.println(report.confusionMatrix());
        if (reportDir != null) {
            try {
                report.save(reportDir, "");
            } catch (IOException e) {
                throw new TransferKitIOException("Could not save the report into " + reportDir + ": " + e.getMessage(), e);
            }
            main.out.println("Saved the report and confusion matrix into " + reportDir);
        }
        return 0;
    }
}
