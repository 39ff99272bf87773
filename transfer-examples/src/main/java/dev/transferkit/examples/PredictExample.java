package dev.transferkit.examples;

import dev.transferkit.image.ImagePaths;
import dev.transferkit.predict.PredictionWriter;
import dev.transferkit.predict.TransferModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a saved predictor (a {@link TransferModel} zip, such as the {@code food-vs-nonfood.zip} the main example
 * writes) and classifies image files and folders, one line per file with the label and its probability.
 *
 * <p>Usage: {@code PredictExample [--csv] MODEL.zip IMAGE-OR-FOLDER...}; folders are searched recursively for
 * images. {@code --csv} writes {@code file,label,score,error} rows instead of aligned text.
 */
public final class PredictExample {
    private PredictExample() {
    }

    /**
     * Runs the example.
     *
     * @param args {@code [--csv] MODEL.zip IMAGE-OR-FOLDER...}
     */
    public static void main(String[] args) {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean csv = rest.remove("--csv");
        if (rest.size() < 2) {
            throw new IllegalArgumentException("Usage: PredictExample [--csv] MODEL.zip IMAGE-OR-FOLDER... (got "
                    + rest.size() + " of the two required arguments).");
        }
        List<Path> inputs = rest.subList(1, rest.size()).stream().map(Path::of).toList();
        PredictionWriter.Summary s = run(Path.of(rest.get(0)), inputs, csv, System.out);
        if (s.failed() > 0) {
            System.err.println(s.failed() + " of " + (s.classified() + s.failed()) + " files could not be classified.");
        }
    }

    /**
     * Loads the predictor and classifies the images.
     *
     * @param modelFile the predictor zip
     * @param inputs    image files and folders
     * @param csv       CSV rows instead of text
     * @param out       where the lines go
     * @return how many files were classified and how many failed
     */
    public static PredictionWriter.Summary run(Path modelFile, List<Path> inputs, boolean csv, PrintStream out) {
        List<Path> images = ImagePaths.expand(inputs);
        TransferModel model = TransferModel.load(modelFile);
        if (!csv) {
            out.println("Predictor: " + model);
        }
        return PredictionWriter.builder().setModel(model)
                .optFormat(csv ? PredictionWriter.Format.CSV : PredictionWriter.Format.TEXT).build()
                .write(images, out);
    }
}
