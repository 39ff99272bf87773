package dev.transferkit.head;

import java.util.List;

/**
 * A classifier trained on extracted features: it maps one feature vector to one score per class. Implementations
 * are immutable and thread-safe.
 */
public interface Head {
    /** @return the class names, in score order */
    List<String> labels();

    /** @return the feature dimension the head was trained on */
    int inputDim();

    /** @return true when {@link #scores} are probabilities that sum to one (logistic regression, MLP), false for margins (SVM) */
    boolean probabilistic();

    /**
     * Scores one feature vector.
     *
     * @param features a vector of length {@link #inputDim()}
     * @return one score per class, in {@link #labels()} order
     * @throws IllegalArgumentException when the vector has the wrong length
     */
    double[] scores(float[] features);

    /**
     * Predicts the class of one feature vector.
     *
     * @param features a vector of length {@link #inputDim()}
     * @return the index of the highest score
     */
    default int predict(float[] features) {
        double[] s = scores(features);
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Checks a feature vector's length.
     *
     * @param head     the head
     * @param features the vector
     * @throws IllegalArgumentException naming both lengths when they differ
     */
    static void checkDim(Head head, float[] features) {
        if (features.length != head.inputDim()) {
            throw new IllegalArgumentException("This head was trained on " + head.inputDim()
                    + "-dimensional features but was given a vector of length " + features.length
                    + "; extract features with the same model, layer and pooling.");
        }
    }
}
