package dev.transferkit.head;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.Callable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L2-regularised logistic regression by {@link Lbfgs} on the loss of {@link LogisticObjective}: binary for two
 * classes, otherwise multinomial (softmax) or one-vs-rest (one binary problem per class, probabilities normalised).
 * The data passes are BLAS products with the standardised features or their Gram matrix ({@link Form#choose}). The
 * folds of a cross-validation run on a pool of the trainer's threads, each fold on one thread with single-threaded
 * BLAS, so that a fold's arithmetic does not depend on the pool's size; the final fit runs the same way.
 */
final class LbfgsSolver implements LinearSolver<LbfgsSolver.Path> {
    /** How the training rows are represented. */
    enum Form {
        /** The standardised feature matrix itself: {@link PrimalDesign}. */
        PRIMAL,
        /** The Gram matrix of the rows: {@link GramDesign}. */
        GRAM;

        /** The Gram matrix in doubles stays below this many bytes (2 GiB). */
        static final long GRAM_BUDGET_BYTES = 2L << 30;

        /**
         * @param rows     training rows
         * @param features feature dimension
         * @return GRAM when there are fewer rows than features and the Gram matrix fits its budget, else PRIMAL
         */
        static Form choose(long rows, long features) {
            return rows < features && rows * rows * Double.BYTES <= GRAM_BUDGET_BYTES ? GRAM : PRIMAL;
        }
    }

    /**
     * One fold's path.
     *
     * @param predictions per grid position, the predicted class of each held-out row
     * @param weights     per grid position and problem, the solution's coefficients lifted to the all-rows design
     * @param intercepts  per grid position and problem, the solution's intercepts
     * @param last        per problem, the solution at the last grid position in the fold's own design, where the
     *                    next C starts
     */
    record Path(List<int[]> predictions, List<double[][]> weights, List<double[][]> intercepts, Coefficients[] last)
            implements LinearSolver.FoldPath {
        @Override
        public int[] predictions(int index) {
            return predictions.get(index);
        }
    }

    /** The most memory the primal form's fold copies may take together. */
    private static final long COPY_BUDGET_BYTES = 1L << 30;

    private final Form form;
    private final INDArray matrix;
    private final INDArray features;
    private final int[] y;
    private final List<String> labels;
    private final double[] rowWeights;
    private final boolean oneVsRest;
    private final Lbfgs lbfgs;
    private final int threads;
    private final Standardizer standardizer;
    private final Map<String, String> info;

    /**
     * @param x            raw features {@code [n, d]}
     * @param standardizer the standardisation to train after, or null
     * @param y            class per row
     * @param labels       class names
     * @param classWeights weight per class
     * @param oneVsRest    one-vs-rest rather than multinomial for more than two classes
     * @param lbfgs        the minimiser
     * @param form         the representation of the rows
     * @param threads      how many folds to train at once
     * @param info         training details to start the head's info with
     */
    LbfgsSolver(INDArray x, Standardizer standardizer, int[] y, List<String> labels, double[] classWeights,
                boolean oneVsRest, Lbfgs lbfgs, Form form, int threads, Map<String, String> info) {
        this.form = form;
        this.y = y;
        this.labels = labels;
        this.standardizer = standardizer;
        this.oneVsRest = oneVsRest && labels.size() > 2;
        this.lbfgs = lbfgs;
        this.threads = threads;
        this.rowWeights = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            rowWeights[i] = classWeights[y[i]];
        }
        if (form == Form.GRAM) {
            this.features = standardizer == null ? x.castTo(DataType.FLOAT) : standardizer.apply(x, DataType.FLOAT);
            this.matrix = Blas.gram(features);
        } else {
            this.features = null;
            this.matrix = Blas.matrix(standardizer == null ? x : standardizer.apply(x, DataType.DOUBLE));
        }
        this.info = new LinkedHashMap<>(info);
        this.info.put("solver", form == Form.GRAM ? "L-BFGS on the rows' Gram matrix (fewer rows than features)" : "L-BFGS");
        this.info.put("multiClass", labels.size() == 2 ? "binary" : this.oneVsRest ? "one-vs-rest" : "multinomial");
    }

    /** @return the number of separate logistic problems: one per class for one-vs-rest, else one */
    private int problems() {
        return oneVsRest ? labels.size() : 1;
    }

    /** @return linear scores per row of each problem */
    private int scoresPerRow() {
        return oneVsRest || labels.size() == 2 ? 1 : labels.size();
    }

    private Link link() {
        return labels.size() == 2 ? Link.SIGMOID : oneVsRest ? Link.NORMALISED_SIGMOIDS : Link.SOFTMAX;
    }

    private Design design(int[] train, int[] heldOut) {
        if (form == Form.GRAM) {
            return new GramDesign(matrix, features, train, heldOut);
        }
        // Folds copy their rows (faster products) unless the copies of the folds running at once would pass the budget.
        return new PrimalDesign(matrix, train, heldOut, matrix.length() * Double.BYTES * threads <= COPY_BUDGET_BYTES);
    }

    private LogisticObjective objective(Design design, int problem, int[] rows, double c) {
        int[] target = new int[rows.length];
        double[] weight = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int cls = y[rows[i]];
            target[i] = oneVsRest ? (cls == problem ? 1 : 0) : cls;
            weight[i] = rowWeights[rows[i]];
        }
        return new LogisticObjective(design, target, weight, scoresPerRow(), c);
    }

    @Override
    public List<Path> extend(Folds folds, List<Path> paths, double[] cs) {
        List<Callable<Path>> tasks = new ArrayList<>();
        for (int f = 0; f < folds.count(); f++) {
            int fold = f;
            Path previous = paths.isEmpty() ? null : paths.get(f);
            tasks.add(() -> {
                Design design = design(folds.train(fold), folds.heldOut(fold));
                Path path = previous;
                for (double c : cs) {
                    path = step(design, folds.train(fold), path, c);
                }
                return path;
            });
        }
        return BlasThreads.runAll(tasks, Math.min(threads, folds.count()));
    }

    /** Fits one C on a fold, starting from the fold's previous solution, and predicts its held-out rows. */
    private Path step(Design design, int[] train, Path previous, double c) {
        int heldOutRows = y.length - train.length;
        int r = scoresPerRow();
        double[][] heldOutScores = new double[problems()][];
        double[][] weights = new double[problems()][];
        double[][] intercepts = new double[problems()][];
        Coefficients[] last = new Coefficients[problems()];
        for (int p = 0; p < problems(); p++) {
            LogisticObjective objective = objective(design, p, train, c);
            LogisticObjective.State start = previous == null ? objective.origin() : objective.at(previous.last()[p]);
            last[p] = lbfgs.minimize(objective, start).point().x();
            heldOutScores[p] = design.heldOutScores(last[p]);
            weights[p] = design.lift(last[p].weights, r);
            intercepts[p] = last[p].intercepts.clone();
        }
        int[] predictions = new int[heldOutRows];
        for (int i = 0; i < heldOutRows; i++) {
            double[] z = new double[problems() * r];
            for (int p = 0; p < problems(); p++) {
                System.arraycopy(heldOutScores[p], i * r, z, p * r, r);
            }
            predictions[i] = argmax(link().apply(z, labels.size()));
        }
        return previous == null ? new Path(List.of(predictions), List.<double[][]>of(weights), List.<double[][]>of(intercepts), last)
                : new Path(LinearSolver.appended(previous.predictions(), predictions),
                LinearSolver.appended(previous.weights(), weights), LinearSolver.appended(previous.intercepts(), intercepts), last);
    }

    @Override
    public LinearHead fit(double c, List<Path> paths, int index) {
        return BlasThreads.run(() -> fitAll(c, paths, index));
    }

    private LinearHead fitAll(double c, List<Path> paths, int index) {
        int[] all = java.util.stream.IntStream.range(0, y.length).toArray();
        Design design = design(all, new int[0]);
        int r = scoresPerRow();
        int dim = (int) (form == Form.GRAM ? features.columns() : matrix.columns());
        double[][] weights = new double[problems() * r][dim];
        double[] intercepts = new double[problems() * r];
        StringBuilder finalFit = new StringBuilder();
        for (int p = 0; p < problems(); p++) {
            LogisticObjective objective = objective(design, p, all, c);
            LogisticObjective.State start = paths.isEmpty() ? objective.origin() : objective.at(averageStart(design, paths, p, index));
            Lbfgs.Result<LogisticObjective.State> result = lbfgs.minimize(objective, start);
            Coefficients solution = result.point().x();
            double[] w = design.featureWeights(solution.weights, r);
            for (int k = 0; k < r; k++) {
                for (int j = 0; j < dim; j++) {
                    weights[p * r + k][j] = w[j * r + k];
                }
                intercepts[p * r + k] = solution.intercepts[k];
            }
            finalFit.append(finalFit.length() == 0 ? "" : "; ").append(oneVsRest ? labels.get(p) + ": " : "")
                    .append(result.iterations()).append(" iterations, ").append(result.stop());
        }
        Map<String, String> details = new LinkedHashMap<>(info);
        details.put("finalFit", finalFit.toString());
        details.put("C", Double.toString(c));
        return new LinearHead(labels, dim, standardizer, weights, intercepts, link(), details);
    }

    /** The mean of the folds' solutions at one C, as scikit-learn's LogisticRegressionCV starts its refit. */
    private static Coefficients averageStart(Design design, List<Path> paths, int problem, int index) {
        double[] w = new double[paths.get(0).weights().get(index)[problem].length];
        double[] b = new double[paths.get(0).intercepts().get(index)[problem].length];
        for (Path path : paths) {
            w = Coefficients.axpy(1.0 / paths.size(), path.weights().get(index)[problem], w);
            b = Coefficients.axpy(1.0 / paths.size(), path.intercepts().get(index)[problem], b);
        }
        return design.point(w, b);
    }

    private static int argmax(double[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }
}
