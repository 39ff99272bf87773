package dev.transferkit.head;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How much each class's errors cost during training, for imbalanced data. {@link #balanced()} weights class
 * {@code c} by {@code n / (k * n_c)} as scikit-learn's {@code class_weight="balanced"} does.
 */
public final class ClassWeights {
    private final Map<String, Double> explicit;
    private final boolean balanced;

    private ClassWeights(Map<String, Double> explicit, boolean balanced) {
        this.explicit = explicit;
        this.balanced = balanced;
    }

    /** @return equal weights for every class */
    public static ClassWeights uniform() {
        return new ClassWeights(Map.of(), false);
    }

    /** @return weights inversely proportional to class frequency */
    public static ClassWeights balanced() {
        return new ClassWeights(Map.of(), true);
    }

    /**
     * Explicit weights; classes not named get 1.
     *
     * @param weights class name to positive weight
     * @return the weights
     * @throws IllegalArgumentException when a weight is not positive and finite
     */
    public static ClassWeights of(Map<String, Double> weights) {
        weights.forEach((k, v) -> {
            if (v == null || !(v > 0) || v.isInfinite()) {
                throw new IllegalArgumentException("The weight of class '" + k + "' must be positive and finite, but was " + v + ".");
            }
        });
        // Sorted, so that toString (part of a fine-tuning run's fingerprint) is the same in every JVM.
        return new ClassWeights(java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(weights)), false);
    }

    /**
     * Resolves the weights for a training set.
     *
     * @param labels class names by index
     * @param y      class index of each training example
     * @return one weight per class index
     * @throws IllegalArgumentException when explicit weights name a class that is not in {@code labels}
     */
    public double[] resolve(List<String> labels, int[] y) {
        double[] w = new double[labels.size()];
        Arrays.fill(w, 1.0);
        if (balanced) {
            long[] counts = new long[labels.size()];
            for (int c : y) {
                counts[c]++;
            }
            for (int c = 0; c < w.length; c++) {
                w[c] = counts[c] == 0 ? 1.0 : (double) y.length / (labels.size() * counts[c]);
            }
        }
        for (Map.Entry<String, Double> e : explicit.entrySet()) {
            int c = labels.indexOf(e.getKey());
            if (c < 0) {
                throw new IllegalArgumentException("A class weight was given for '" + e.getKey()
                        + "', which is not one of the classes " + labels + ".");
            }
            w[c] = e.getValue();
        }
        return w;
    }

    @Override
    public String toString() {
        return balanced ? "balanced" : explicit.isEmpty() ? "uniform" : explicit.toString();
    }
}
