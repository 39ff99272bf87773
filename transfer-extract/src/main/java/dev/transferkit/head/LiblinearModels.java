package dev.transferkit.head;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Model;

import java.util.List;
import java.util.Map;

/**
 * Converts trained liblinear models into {@link LinearHead}s (through {@link LiblinearFormat}, which also reads
 * liblinear's model text without liblinear), and feature vectors into liblinear's sparse form.
 */
final class LiblinearModels {
    private LiblinearModels() {
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
        return LiblinearFormat.toHead(model.getLabels(), model.getNrFeature(), model.getFeatureWeights(), model.getBias(),
                model.isProbabilityModel(), labels, standardizer, info);
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
