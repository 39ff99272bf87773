package dev.transferkit.model;

/**
 * One class of a classification result.
 *
 * @param index       the class index in the network output
 * @param label       the class name, or {@code "class_<index>"} when the model has no label names
 * @param probability the network's probability for this class
 */
public record Prediction(int index, String label, double probability) {
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s (%.4f)", label, probability);
    }
}
