package dev.transferkit.head;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * liblinear's model text and weight layout, read without liblinear: the format of linear heads saved before heads were
 * standardised, and of {@code MllibHeads}. The text is a header of {@code key value} lines ({@code solver_type},
 * {@code nr_class}, {@code label}, {@code nr_feature}, {@code bias}), the line {@code w}, then the weights as
 * liblinear's {@code saveModel} writes them: one line per feature (and one for the bias feature when {@code bias >= 0}),
 * each holding one weight per weight vector. Heads converted here score exactly as liblinear's
 * {@code predictValues} and {@code predictProbability} do (probabilities of more than two classes may differ in the
 * last bits, being normalised in class order).
 */
final class LiblinearFormat {
    /** liblinear's logistic-regression solvers: their models give probabilities. */
    private static final Set<String> LOGISTIC = Set.of("L2R_LR", "L1R_LR", "L2R_LR_DUAL");
    /** liblinear's SVM classifiers. */
    private static final Set<String> SVM = Set.of("L2R_L2LOSS_SVC_DUAL", "L2R_L2LOSS_SVC", "L2R_L1LOSS_SVC_DUAL",
            "MCSVM_CS", "L1R_L2LOSS_SVC");

    private LiblinearFormat() {
    }

    /**
     * Reads liblinear's model text.
     *
     * @param text     the model file content
     * @param labels   class names by class index
     * @param inputDim the feature dimension
     * @param info     training details
     * @return an unstandardised head
     * @throws IllegalArgumentException when the text is not a liblinear classification model or does not fit
     */
    static LinearHead read(String text, List<String> labels, int inputDim, Map<String, String> info) {
        String solver = null;
        int classes = -1;
        int features = -1;
        double bias = -1;
        int[] ids = null;
        String[] lines = text.split("\r?\n", -1);
        int line = 0;
        for (; line < lines.length && !lines[line].strip().equals("w"); line++) {
            if (lines[line].isBlank()) {
                continue;
            }
            String[] parts = lines[line].strip().split("\\s+");
            switch (parts[0]) {
                case "solver_type" -> solver = value(parts, lines[line]);
                case "nr_class" -> classes = integer(value(parts, lines[line]), lines[line]);
                case "nr_feature" -> features = integer(value(parts, lines[line]), lines[line]);
                case "bias" -> bias = number(value(parts, lines[line]), lines[line]);
                case "label" -> {
                    ids = new int[parts.length - 1];
                    for (int i = 1; i < parts.length; i++) {
                        ids[i - 1] = integer(parts[i], lines[line]);
                    }
                }
                default -> throw new IllegalArgumentException("The stored linear head is not a readable liblinear model: "
                        + "unknown text in model file: [" + lines[line] + "].");
            }
        }
        if (line == lines.length) {
            throw new IllegalArgumentException("The stored linear head is not a readable liblinear model: it has no 'w' line "
                    + "before its weights.");
        }
        if (solver == null || classes < 1 || features < 0 || ids == null) {
            throw new IllegalArgumentException("The stored linear head is not a readable liblinear model: its header lacks "
                    + (solver == null ? "solver_type" : classes < 1 ? "nr_class" : features < 0 ? "nr_feature" : "label")
                    + ".");
        }
        if (!LOGISTIC.contains(solver) && !SVM.contains(solver)) {
            throw new IllegalArgumentException("The liblinear model was trained with the solver '" + solver
                    + "', which is not a classifier that converts to a linear head.");
        }
        if (ids.length != classes) {
            throw new IllegalArgumentException("The liblinear model has nr_class " + classes + " but lists "
                    + ids.length + " labels " + Arrays.toString(ids) + ".");
        }
        if (features != inputDim) {
            throw new IllegalArgumentException("The liblinear model has " + features + " features but the head should have "
                    + inputDim + ".");
        }
        int vectors = classes == 2 && !solver.equals("MCSVM_CS") ? 1 : classes;
        int rows = features + (bias >= 0 ? 1 : 0);
        List<Double> values = new ArrayList<>();
        for (line++; line < lines.length; line++) {
            String l = lines[line].strip();
            if (!l.isEmpty()) {
                for (String v : l.split("\\s+")) {
                    values.add(number(v, lines[line]));
                }
            }
        }
        if (values.size() != rows * vectors) {
            throw new IllegalArgumentException("The liblinear model should have " + rows * vectors + " weights ("
                    + rows + " rows of " + vectors + "), but has " + values.size() + ".");
        }
        double[] w = values.stream().mapToDouble(Double::doubleValue).toArray();
        return toHead(ids, features, w, bias, LOGISTIC.contains(solver), labels, null, info);
    }

    /**
     * Converts liblinear's weights into a head.
     *
     * @param ids          liblinear's class ids in its order; they must be {@code 0..labels.size()-1}
     * @param dim          the feature dimension
     * @param w            liblinear's weights: row by feature (then the bias feature), one column per weight vector
     * @param bias         the bias feature's value, or negative for none
     * @param probability  whether the model is a logistic regression (scores are probabilities)
     * @param labels       class names by class index
     * @param standardizer the standardisation the model was trained after, or null
     * @param info         training details
     * @return the head
     * @throws IllegalArgumentException when the class ids do not match the labels, or the model is not one-vs-rest
     */
    static LinearHead toHead(int[] ids, int dim, double[] w, double bias, boolean probability, List<String> labels,
                             Standardizer standardizer, Map<String, String> info) {
        int k = labels.size();
        int[] sorted = ids.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted.length != k || sorted[i] != i) {
                throw new IllegalArgumentException("The liblinear model knows the class ids " + Arrays.toString(ids)
                        + ", but " + k + " class names were given: " + labels + ".");
            }
        }
        int columns = w.length / (dim + (bias >= 0 ? 1 : 0));
        Link link = probability ? (k == 2 ? Link.SIGMOID : Link.NORMALISED_SIGMOIDS) : Link.MARGINS;
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
            intercepts[row] = bias >= 0 ? sign * (w[dim * columns + col] * bias) : 0;
        }
        return new LinearHead(labels, dim, standardizer, weights, intercepts, link, info);
    }

    private static String value(String[] parts, String line) {
        if (parts.length != 2) {
            throw new IllegalArgumentException("The liblinear model line '" + line + "' should be a key and one value.");
        }
        return parts[1];
    }

    private static int integer(String s, String line) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The liblinear model line '" + line + "' has '" + s
                    + "' where an integer belongs.", e);
        }
    }

    private static double number(String s, String line) {
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The liblinear model line '" + line + "' has '" + s
                    + "' where a number belongs.", e);
        }
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("The liblinear model line '" + line + "' has the non-finite value " + s + ".");
        }
        return v;
    }
}
