package dev.transferkit.head;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;

import java.io.IOException;
import java.io.StringReader;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Converts liblinear models into {@link LinearHead}s that score exactly as liblinear's {@code predictValues} and
 * {@code predictProbability} do (probabilities of more than two classes may differ in the last bits, being
 * normalised in class order), and feature vectors into liblinear's sparse form.
 */
final class LiblinearModels {
    private LiblinearModels() {
    }

    /**
     * Reads liblinear's model text.
     *
     * @param text     the model file content
     * @param labels   class names by class index
     * @param inputDim the feature dimension
     * @param info     training details
     * @return an unstandardised head
     * @throws IllegalArgumentException when the text is not a liblinear model or does not fit
     */
    static LinearHead fromText(String text, List<String> labels, int inputDim, Map<String, String> info) {
        Model model;
        try {
            model = Linear.loadModel(new StringReader(text));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("The stored linear head is not a readable liblinear model: " + e.getMessage(), e);
        }
        if (model.getNrFeature() != inputDim) {
            throw new IllegalArgumentException("The liblinear model has " + model.getNrFeature() + " features but the head should have "
                    + inputDim + ".");
        }
        return toHead(model, labels, null, info);
    }

    /**
     * Converts a trained model.
     *
     * @param model        the liblinear model, trained with class ids {@code 0..labels.size()-1}
     * @param labels       class names by class index
     * @param standardizer the standardisation the model was trained after, or null
     * @param info         training details
     * @return the head
     * @throws IllegalArgumentException when the model's classes do not match the labels
     */
    static LinearHead toHead(Model model, List<String> labels, Standardizer standardizer, Map<String, String> info) {
        int[] ids = model.getLabels();
        int k = labels.size();
        int[] sorted = ids.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted.length != k || sorted[i] != i) {
                throw new IllegalArgumentException("The liblinear model knows the class ids " + Arrays.toString(ids)
                        + ", but " + k + " class names were given: " + labels + ".");
            }
        }
        int dim = model.getNrFeature();
        double[] w = model.getFeatureWeights();
        int columns = w.length / (dim + (model.getBias() >= 0 ? 1 : 0));
        Link link = model.isProbabilityModel() ? (k == 2 ? Link.SIGMOID : Link.NORMALISED_SIGMOIDS) : Link.MARGINS;
        if (columns != link.rows(k)) {
            throw new IllegalArgumentException("The liblinear model has " + columns + " weight vectors for " + k
                    + " classes; only one-vs-rest models (one vector for two classes) convert to a linear head.");
        }
        double[][] weights = new double[columns][dim];
        double[] intercepts = new double[columns];
        for (int col = 0; col < columns; col++) {
            // Two classes: liblinear's vector scores its first listed label; the head's row scores class 1.
            int row = columns == 1 ? 0 : ids[col];
            double sign = columns == 1 && ids[0] == 0 ? -1 : 1;
            for (int j = 0; j < dim; j++) {
                weights[row][j] = sign * w[j * columns + col];
            }
            intercepts[row] = model.getBias() >= 0 ? sign * (w[dim * columns + col] * model.getBias()) : 0;
        }
        return new LinearHead(labels, dim, standardizer, weights, intercepts, link, info);
    }

    /**
     * Converts a dense vector to liblinear's sparse form, zeros left out, with a bias feature appended.
     *
     * @param v    the vector
     * @param bias the bias feature's value, or negative for none
     * @return the features, indices from 1
     */
    static Feature[] features(double[] v, double bias) {
        int nonZero = 0;
        for (double f : v) {
            if (f != 0) {
                nonZero++;
            }
        }
        Feature[] out = new Feature[nonZero + (bias >= 0 ? 1 : 0)];
        int j = 0;
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0) {
                out[j++] = new FeatureNode(i + 1, v[i]);
            }
        }
        if (bias >= 0) {
            out[j] = new FeatureNode(v.length + 1, bias);
        }
        return out;
    }
}
