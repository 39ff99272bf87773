package dev.transferkit.cli;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.predict.PredictionWriter;
import dev.transferkit.predict.TransferModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code transferkit predict}: classify images with a saved predictor. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify images with a saved predictor (from train-head, fine-tune or TransferModel.save).",
                "Prints one line per file; exits with 1 when a file could not be classified."})
final class PredictCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    SavedPredictorOption savedPredictor;

    @Option(names = "--csv", description = "Write CSV rows: file,label,score,...,error.")
    boolean csv;

    @Option(names = {"-k", "--top"}, defaultValue = "1", description = "Classes per file. Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the lines to this file instead of standard output.")
    Path output;

    @Mixin
    ImageArguments imageArguments;

    @Override
    public Integer call() {
        List<Path> images = imageArguments.images();
        PredictionWriter writer = PredictionWriter.builder().setModel(savedPredictor.load())
                .optFormat(csv ? PredictionWriter.Format.CSV : PredictionWriter.Format.TEXT).optTopK(k).build();
        PredictionWriter.Summary s;
        if (output == null) {
            s = writer.write(images, main.out);
        } else {
            try (PrintStream file = new PrintStream(Files.newOutputStream(output), false, StandardCharsets.UTF_8)) {
                s = writer.write(images, file);
            } catch (IOException e) {
                throw new TransferKitIOException("Could not write the predictions to " + output + ": " + e.getMessage(), e);
            }
            main.err.println("Wrote " + s.classified() + " predictions to " + output + ".");
        }
        if (s.failed() > 0) {
            main.err.println("predict: " + s.failed() + " of " + images.size() + " files could not be classified (see their lines).");
            return Main.FAILED;
        }
        return 0;
    }
}
