package dev.transferkit.head;

import dev.transferkit.core.TransferKitIOException;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear classifier (L2-regularised logistic regression or linear SVM) trained by liblinear, the solver
 * scikit-learn wraps, on extracted features. Built by {@link LinearHeadTrainer}; immutable.
 */
public final class LinearHead implements Head {
    private final Model model;
    private final List<String> labels;
    private final int inputDim;
    private final int[] modelOrder;
    private final Map<String, String> info;

    LinearHead(Model model, List<String> labels, int inputDim, Map<String, String> info) {
        this.model = model;
        this.labels = List.copyOf(labels);
        this.inputDim = inputDim;
        this.info = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(info));
        int[] ids = model.getLabels();
        this.modelOrder = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= labels.size()) {
                throw new IllegalArgumentException("The liblinear model knows class id " + ids[i] + ", but only "
                        + labels.size() + " class names were given: " + labels + ".");
            }
            modelOrder[i] = ids[i];
        }
    }

    /**
     * Restores a head from the text liblinear writes ({@link #modelText()}).
     *
     * @param text     liblinear's model file content
     * @param labels   the class names, by class index
     * @param inputDim the feature dimension
     * @param info     training details recorded with the head
     * @return the head
     * @throws IllegalArgumentException when the text is not a liblinear model or does not fit the labels
     */
    public static LinearHead fromModelText(String text, List<String> labels, int inputDim, Map<String, String> info) {
        try {
            Model m = Linear.loadModel(new StringReader(text));
            if (m.getNrFeature() != inputDim) {
                throw new IllegalArgumentException("The liblinear model has " + m.getNrFeature() + " features but the head should have "
                        + inputDim + ".");
            }
            return new LinearHead(m, labels, inputDim, info);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("The stored linear head is not a readable liblinear model: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> labels() {
        return labels;
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public boolean probabilistic() {
        return model.isProbabilityModel();
    }

    /** @return the regularisation strength the head was trained with */
    public double c() {
        return Double.parseDouble(info.getOrDefault("C", "NaN"));
    }

    /** @return training details: solver, C, class weights, cross-validation scores */
    public Map<String, String> info() {
        return info;
    }

    /** @return the model in liblinear's own text format, for saving */
    public String modelText() {
        StringWriter w = new StringWriter();
        try {
            Linear.saveModel(w, model);
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the liblinear model of this head as text: " + e.getMessage(), e);
        }
        return w.toString();
    }

    @Override
    public double[] scores(float[] features) {
        Head.checkDim(this, features);
        Feature[] x = LinearHeadTrainer.toFeatures(features, model.getBias());
        double[] out = new double[labels.size()];
        if (model.isProbabilityModel()) {
            double[] p = new double[modelOrder.length];
            Linear.predictProbability(model, x, p);
            for (int i = 0; i < p.length; i++) {
                out[modelOrder[i]] = p[i];
            }
        } else if (modelOrder.length == 2) {
            double[] dec = new double[1];
            Linear.predictValues(model, x, dec);
            out[modelOrder[0]] = dec[0];
            out[modelOrder[1]] = -dec[0];
        } else {
            double[] dec = new double[modelOrder.length];
            Linear.predictValues(model, x, dec);
            for (int i = 0; i < dec.length; i++) {
                out[modelOrder[i]] = dec[i];
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "LinearHead(" + info + ", classes=" + labels + ", inputDim=" + inputDim + ")";
    }

}
