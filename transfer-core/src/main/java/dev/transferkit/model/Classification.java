package dev.transferkit.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The classification of one image: what {@link BaseModel#classify} (a pretrained network's own classes) and a saved
 * predictor's {@code TransferModel.predict} return.
 *
 * @param image         the image file, or {@code null} for an in-memory image
 * @param ranked        the classes, highest score first: every class, or the {@code k} best when only those were
 *                      asked for; at least one
 * @param probabilistic true when the scores are probabilities, false for SVM margins
 */
public record Classification(Path image, List<Prediction> ranked, boolean probabilistic) {
    /**
     * Copies the ranking.
     *
     * @throws IllegalArgumentException when the ranking is empty
     */
    public Classification {
        ranked = List.copyOf(ranked);
        if (ranked.isEmpty()) {
            throw new IllegalArgumentException("The classification of " + (image == null ? "an in-memory image" : image)
                    + " has no classes; it needs at least one.");
        }
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
