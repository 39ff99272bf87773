package dev.transferkit.head;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear classifier on extracted features: L2-regularised logistic regression (binary, multinomial or
 * one-vs-rest) or a linear SVM. It optionally standardises each feature with the mean and standard deviation of its
 * training rows, computes one linear score per weight row, and turns the scores into class probabilities
 * (sigmoid, softmax, or normalised one-vs-rest sigmoids) or SVM margins. Built by {@code LinearHeadTrainer}
 * (transfer-extract), restored by {@link #fromBytes} or, for heads saved as liblinear model text, {@link #fromModelText}
 * (which needs no liblinear); immutable and thread-safe.
 */
public final class LinearHead implements Head {
    private final List<String> labels;
    private final int inputDim;
    private final Standardizer standardizer;
    private final double[][] weights;
    private final double[] intercepts;
    private final Link link;
    private final Map<String, String> info;

    /**
     * @param labels       class names
     * @param inputDim     feature dimension
     * @param standardizer the standardisation applied before the weights, or null for none
     * @param weights      one row of {@code inputDim} weights per linear score ({@link Link#rows})
     * @param intercepts   one intercept per weight row
     * @param link         how scores become class scores
     * @param info         training details
     */
    LinearHead(List<String> labels, int inputDim, Standardizer standardizer, double[][] weights, double[] intercepts,
               Link link, Map<String, String> info) {
        if (weights.length != link.rows(labels.size()) || intercepts.length != weights.length) {
            throw new IllegalArgumentException("A " + link + " head for " + labels.size() + " classes needs "
                    + link.rows(labels.size()) + " weight rows and intercepts, but has " + weights.length + " and "
                    + intercepts.length + ".");
        }
        for (double[] row : weights) {
            if (row.length != inputDim) {
                throw new IllegalArgumentException("A weight row has " + row.length + " weights but the head has "
                        + inputDim + " features.");
            }
        }
        if (standardizer != null && standardizer.dim() != inputDim) {
            throw new IllegalArgumentException("The standardisation covers " + standardizer.dim()
                    + " features but the head has " + inputDim + ".");
        }
        this.labels = List.copyOf(labels);
        this.inputDim = inputDim;
        this.standardizer = standardizer;
        this.weights = new double[weights.length][];
        for (int k = 0; k < weights.length; k++) {
            this.weights[k] = weights[k].clone();
        }
        this.intercepts = intercepts.clone();
        this.link = link;
        this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
    }

    /**
     * Restores a head from liblinear's model text, the format of heads saved before heads were standardised and of
     * {@code MllibHeads}. The head scores as liblinear does: for two classes, liblinear's first listed label gets
     * the sigmoid of (or the margin) {@code w.x + b}; for more, one-vs-rest.
     *
     * @param text     liblinear's model file content
     * @param labels   the class names, by class index
     * @param inputDim the feature dimension
     * @param info     training details recorded with the head
     * @return the head
     * @throws IllegalArgumentException when the text is not a liblinear model or does not fit the labels
     */
    public static LinearHead fromModelText(String text, List<String> labels, int inputDim, Map<String, String> info) {
        return LiblinearFormat.read(text, labels, inputDim, info);
    }

    /**
     * Restores a head saved with {@link #toBytes()}.
     *
     * @param bytes    the saved head
     * @param labels   the class names, by class index
     * @param inputDim the feature dimension
     * @param info     training details recorded with the head
     * @return the head
     * @throws IllegalArgumentException when the bytes are not a saved linear head of this shape
     */
    public static LinearHead fromBytes(byte[] bytes, List<String> labels, int inputDim, Map<String, String> info) {
        return LinearHeadFormat.read(bytes, labels, inputDim, info);
    }

    /** @return the head in TransferKit's linear head format: standardisation, weights, intercepts and link */
    public byte[] toBytes() {
        return LinearHeadFormat.write(this);
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
        return link.probabilistic();
    }

    /** @return whether the head standardises features before its weights */
    public boolean standardized() {
        return standardizer != null;
    }

    /** @return the regularisation strength the head was trained with, NaN when unknown */
    public double c() {
        return Double.parseDouble(info.getOrDefault("C", "NaN"));
    }

    /** @return training details: solver, multi-class scheme, standardisation, C, class weights, cross-validation scores */
    public Map<String, String> info() {
        return info;
    }

    @Override
    public double[] scores(float[] features) {
        Head.checkDim(this, features);
        double[] z = new double[weights.length];
        if (standardizer != null) {
            double[] x = standardizer.apply(features);
            for (int k = 0; k < weights.length; k++) {
                double s = 0;
                for (int j = 0; j < inputDim; j++) {
                    s += weights[k][j] * x[j];
                }
                z[k] = s + intercepts[k];
            }
        } else {
            for (int k = 0; k < weights.length; k++) {
                double s = 0;
                for (int j = 0; j < inputDim; j++) {
                    s += weights[k][j] * features[j];
                }
                z[k] = s + intercepts[k];
            }
        }
        return link.apply(z, labels.size());
    }

    Standardizer standardizer() {
        return standardizer;
    }

    /** @return a copy of the weight rows, over standardised features when {@link #standardized()} */
    double[][] weights() {
        double[][] out = new double[weights.length][];
        for (int k = 0; k < weights.length; k++) {
            out[k] = weights[k].clone();
        }
        return out;
    }

    /** @return a copy of the intercepts */
    double[] intercepts() {
        return intercepts.clone();
    }

    Link link() {
        return link;
    }

    @Override
    public String toString() {
        return "LinearHead(" + info + ", classes=" + labels + ", inputDim=" + inputDim + ")";
    }
}
