package dev.transferkit.predict;

import java.nio.file.Path;

/** Run in a fresh JVM by {@link TransferModelTest}: loads a predictor and prints each image's scores, one line per image. */
public final class PrintPredictions {
    private PrintPredictions() {
    }

    public static void main(String[] args) {
        TransferModel model = TransferModel.load(Path.of(args[0]));
        for (int i = 1; i < args.length; i++) {
            System.out.println(TransferModelTest.line(model.predict(Path.of(args[i]))));
        }
    }
}
