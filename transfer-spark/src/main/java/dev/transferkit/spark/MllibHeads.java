package dev.transferkit.spark;

import dev.transferkit.head.LinearHead;
import org.apache.spark.ml.classification.ClassificationModel;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.classification.OneVsRestModel;
import org.apache.spark.ml.linalg.Vector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts Spark MLlib logistic regression models into {@link LinearHead}s, the head the single-machine predictor
 * ({@link dev.transferkit.predict.TransferModel}) saves and loads.
 *
 * <p>The models are written as liblinear L2R_LR model text and read with {@link LinearHead#fromModelText}, which
 * scores as liblinear does: one weight vector plus a bias weight per class, the bias
 * feature being 1. For two classes it has one vector {@code w} and gives the first listed class the probability
 * {@code sigmoid(w.x + b)}; for more classes it is one-vs-rest, each class scored {@code sigmoid(w_k.x + b_k)} and the
 * scores normalised to sum to one. A binomial MLlib model ({@code P(class 1) = sigmoid(coefficients.x + intercept)})
 * and a {@link OneVsRestModel} of binomial models map onto this exactly: the converted head reproduces MLlib's
 * probabilities (binary) and predictions (one-vs-rest). A multinomial (softmax) model does not: softmax probabilities
 * are not normalised sigmoids of linear scores, so it is refused.
 */
public final class MllibHeads {
    private MllibHeads() {
    }

    /**
     * Converts a binomial logistic regression trained on labels 0 and 1.
     *
     * @param model  the MLlib model
     * @param labels the two class names, by label value
     * @param info   training details to keep with the head
     * @return a head whose score for class 1 is MLlib's probability of label 1
     * @throws IllegalArgumentException when the model is multinomial or there are not two labels
     */
    public static LinearHead fromLogisticRegression(LogisticRegressionModel model, List<String> labels,
                                                    Map<String, String> info) {
        if (model.numClasses() != 2 || labels.size() != 2 || model.coefficientMatrix().numRows() != 1) {
            throw new IllegalArgumentException("Only a binomial logistic regression (2 classes, one coefficient vector)"
                    + " converts to a LinearHead, but the model has " + model.numClasses() + " classes and "
                    + model.coefficientMatrix().numRows() + " coefficient vectors for the labels " + labels
                    + ". Train more classes with OneVsRest and convert it with fromOneVsRest.");
        }
        // liblinear scores its first listed label: list class 1 first, so w is MLlib's coefficient vector.
        return head(List.of(model.coefficients()), new double[]{model.intercept()}, new int[]{1, 0}, labels, info);
    }

    /**
     * Converts a one-vs-rest model of binomial logistic regressions, model {@code k} separating label {@code k}.
     *
     * @param model  the MLlib model
     * @param labels the class names, by label value; as many as the model has binary models
     * @param info   training details to keep with the head
     * @return a head with the same predictions, probabilities normalised as liblinear does
     * @throws IllegalArgumentException when a binary model is not a binomial logistic regression, or the counts differ
     */
    public static LinearHead fromOneVsRest(OneVsRestModel model, List<String> labels, Map<String, String> info) {
        ClassificationModel<?, ?>[] models = model.models();
        if (models.length != labels.size()) {
            throw new IllegalArgumentException("The one-vs-rest model has " + models.length + " binary models but "
                    + labels.size() + " class names were given: " + labels + ".");
        }
        List<Vector> weights = new ArrayList<>();
        double[] intercepts = new double[models.length];
        int[] order = new int[models.length];
        for (int k = 0; k < models.length; k++) {
            if (!(models[k] instanceof LogisticRegressionModel lr) || lr.coefficientMatrix().numRows() != 1) {
                throw new IllegalArgumentException("Binary model " + k + " of the one-vs-rest model is "
                        + models[k].getClass().getSimpleName() + ", not a binomial LogisticRegressionModel.");
            }
            weights.add(lr.coefficients());
            intercepts[k] = lr.intercept();
            order[k] = k;
        }
        return head(weights, intercepts, order, labels, info);
    }

    /** Writes liblinear's model text (weights row by feature, one column per class, bias row last) and loads it. */
    private static LinearHead head(List<Vector> weights, double[] intercepts, int[] labelOrder, List<String> labels,
                                   Map<String, String> info) {
        int dim = weights.get(0).size();
        StringBuilder text = new StringBuilder(32 * (dim + 1) * weights.size() + 128);
        text.append("solver_type L2R_LR\n");
        text.append("nr_class ").append(labels.size()).append('\n');
        text.append("label");
        for (int l : labelOrder) {
            text.append(' ').append(l);
        }
        text.append('\n');
        text.append("nr_feature ").append(dim).append('\n');
        text.append("bias 1.0\n");
        text.append("w\n");
        for (int j = 0; j < dim; j++) {
            for (Vector w : weights) {
                text.append(w.apply(j)).append(' ');
            }
            text.append('\n');
        }
        for (double b : intercepts) {
            text.append(b).append(' ');
        }
        text.append('\n');
        return LinearHead.fromModelText(text.toString(), labels, dim, info);
    }
}
