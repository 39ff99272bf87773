package dev.transferkit.predict;

import dev.transferkit.model.Prediction;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The classification of one image by a {@link TransferModel}.
 *
 * @param image         the image file, or {@code null} for an in-memory image
 * @param ranked        every class, highest score first
 * @param probabilistic true when the scores are probabilities, false for SVM margins
 */
public record Classification(Path image, List<Prediction> ranked, boolean probabilistic) {
    /** Copies the ranking. */
    public Classification {
        ranked = List.copyOf(ranked);
    }

    /** @return the predicted class */
    public String label() {
        return ranked.get(0).label();
    }

    /** @return the score of the predicted class (a probability when {@link #probabilistic()}) */
    public double score() {
        return ranked.get(0).probability();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %s (%s %.4f)", image == null ? "image" : image.getFileName(), label(),
                probabilistic ? "p" : "margin", score());
    }
}
