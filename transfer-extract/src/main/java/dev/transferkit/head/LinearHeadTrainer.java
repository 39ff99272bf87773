package dev.transferkit.head;

import dev.transferkit.core.MissingSettingException;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Trains a {@link LinearHead} on in-memory features with liblinear: L2-regularised logistic regression
 * (liblinear's primal solver, as scikit-learn's {@code LogisticRegression(solver="liblinear")}; binary problems are
 * solved exactly, more classes one-vs-rest with normalised probabilities) or a linear SVM (squared hinge loss, dual
 * solver, as {@code LinearSVC}). A bias feature of 1 is appended, like scikit-learn's {@code intercept_scaling=1}.
 * With {@link Builder#optCrossValidation} the regularisation strength C is chosen by k-fold cross-validation
 * (accuracy, or balanced accuracy when class weights are not uniform; ties go to the smaller C). When a class has
 * fewer examples than folds, some fold would train without it, so cross-validation is skipped with a warning, the
 * configured C is used and {@code info().get("crossValidation")} says why.
 */
public final class LinearHeadTrainer {
    /** The linear model to train. */
    public enum Kind {
        /** L2-regularised logistic regression: probabilities. */
        LOGISTIC_REGRESSION(SolverType.L2R_LR),
        /** L2-regularised linear SVM with squared hinge loss: margins. */
        LINEAR_SVM(SolverType.L2R_L2LOSS_SVC_DUAL);

        private final SolverType solver;

        Kind(SolverType solver) {
            this.solver = solver;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(LinearHeadTrainer.class);
    private static final Object LIBLINEAR_LOCK = new Object();
    /** Heap bytes liblinear needs per stored feature value (one FeatureNode object plus its array slot). */
    private static final long BYTES_PER_VALUE = 32;

    private final Kind kind;
    private final double c;
    private final double[] cvGrid;
    private final int folds;
    private final ClassWeights classWeights;
    private final double tolerance;
    private final long seed;

    private LinearHeadTrainer(Builder b) {
        this.kind = b.kind;
        this.c = b.c;
        this.cvGrid = b.cvGrid;
        this.folds = b.folds;
        this.classWeights = b.classWeights;
        this.tolerance = b.tolerance;
        this.seed = b.seed;
    }

    /** @return a builder; {@code setKind} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains a head.
     *
     * @param x      one feature vector per example, all of the same length
     * @param y      class index per example
     * @param labels class names by index; every class must have at least one example
     * @return the trained head
     * @throws IllegalArgumentException when the data is empty, ragged, non-finite, labelled outside {@code labels},
     *                                  has a class without examples, or would not fit in memory
     */
    public LinearHead fit(float[][] x, int[] y, List<String> labels) {
        validate(x, y, labels);
        int dim = x[0].length;
        double[] weights = classWeights.resolve(labels, y);
        Problem problem = problem(x, y, dim);
        synchronized (LIBLINEAR_LOCK) {
            Linear.disableDebugOutput();
            Map<String, String> info = new LinkedHashMap<>();
            info.put("solver", "liblinear " + kind.solver);
            info.put("classWeights", classWeights.toString());
            double chosen = c;
            String tooSmall = classWithFewerExamplesThanFolds(y, labels);
            if (cvGrid != null && tooSmall != null) {
                // A fold whose training part lacks a class makes liblinear fail ("class label ... not found").
                info.put("crossValidation", "skipped: " + tooSmall + ", fewer than the " + folds + " folds");
                LOG.warn("Skipping cross-validation and using C={}: {}, fewer than the {} folds.", c, tooSmall, folds);
            } else if (cvGrid != null) {
                StringBuilder scores = new StringBuilder();
                double best = -1;
                for (double candidate : cvGrid) {
                    double score = crossValidate(problem, parameter(candidate, weights, labels.size()), y, labels.size(), weights);
                    scores.append(String.format(Locale.ROOT, "%sC=%g:%.4f", scores.length() == 0 ? "" : " ", candidate, score));
                    if (score > best + 1e-12) {
                        best = score;
                        chosen = candidate;
                    }
                }
                info.put("crossValidation", folds + "-fold " + (isUniform(weights) ? "accuracy" : "balanced accuracy") + " " + scores);
                LOG.info("Cross-validation chose C={} ({})", chosen, scores);
            }
            info.put("C", Double.toString(chosen));
            Model model = Linear.train(problem, parameter(chosen, weights, labels.size()));
            return new LinearHead(model, labels, dim, info);
        }
    }

    /**
     * Trains a head on features loaded from a store.
     *
     * @param data features, labels and class names, e.g. from {@code FeatureStore.loadAll()}
     * @return the trained head
     */
    public LinearHead fit(dev.transferkit.store.LoadedFeatures data) {
        return fit(data.features().toFloatMatrix(), data.labels(), data.labelNames());
    }

    private double crossValidate(Problem problem, Parameter p, int[] y, int k, double[] weights) {
        double[] target = new double[y.length];
        Linear.crossValidation(problem, p, folds, target);
        long[] correct = new long[k];
        long[] support = new long[k];
        for (int i = 0; i < y.length; i++) {
            support[y[i]]++;
            if ((int) target[i] == y[i]) {
                correct[y[i]]++;
            }
        }
        if (isUniform(weights)) {
            return (double) Arrays.stream(correct).sum() / y.length;
        }
        double s = 0;
        for (int c2 = 0; c2 < k; c2++) {
            s += (double) correct[c2] / support[c2];
        }
        return s / k;
    }

    /** Names the first class with fewer examples than folds, or returns null when every class has enough. */
    private String classWithFewerExamplesThanFolds(int[] y, List<String> labels) {
        long[] counts = new long[labels.size()];
        for (int v : y) {
            counts[v]++;
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < folds) {
                return "the class '" + labels.get(i) + "' has only " + counts[i] + " example(s)";
            }
        }
        return null;
    }

    private static boolean isUniform(double[] w) {
        return Arrays.stream(w).allMatch(v -> v == w[0]);
    }

    private Parameter parameter(double cValue, double[] weights, int k) {
        Parameter p = new Parameter(kind.solver, cValue, tolerance);
        int[] ids = new int[k];
        for (int i = 0; i < k; i++) {
            ids[i] = i;
        }
        p.setWeights(weights.clone(), ids);
        p.setRandom(new Random(seed));
        return p;
    }

    private void validate(float[][] x, int[] y, List<String> labels) {
        Objects.requireNonNull(x, "features");
        Objects.requireNonNull(y, "labels");
        if (x.length == 0) {
            throw new IllegalArgumentException("A linear head needs training examples, but none were given.");
        }
        if (x.length != y.length) {
            throw new IllegalArgumentException("There are " + x.length + " feature vectors but " + y.length + " labels.");
        }
        if (labels.size() < 2) {
            throw new IllegalArgumentException("A classifier needs at least two classes, but got " + labels + ".");
        }
        int dim = x[0].length;
        if (dim == 0) {
            throw new IllegalArgumentException("The feature vectors are empty.");
        }
        long needed = (long) x.length * (dim + 1) * BYTES_PER_VALUE;
        long budget = Runtime.getRuntime().maxMemory() / 2;
        if (needed > budget) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "liblinear would need about %.1f GB of heap for %d examples of dimension %d, more than half the JVM's "
                            + "maximum heap (%.1f GB). Use pooled features, raise -Xmx, or train the incremental MLP head from the store.",
                    needed / 1e9, x.length, dim, Runtime.getRuntime().maxMemory() / 1e9));
        }
        long[] counts = new long[labels.size()];
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != dim) {
                throw new IllegalArgumentException("Feature vector " + i + " has length " + x[i].length + " but the first has " + dim + ".");
            }
            if (y[i] < 0 || y[i] >= labels.size()) {
                throw new IllegalArgumentException("Example " + i + " has class index " + y[i] + ", outside the " + labels.size()
                        + " classes " + labels + ".");
            }
            for (float v : x[i]) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("Feature vector " + i + " contains the non-finite value " + v + ".");
                }
            }
            counts[y[i]]++;
        }
        for (int c2 = 0; c2 < counts.length; c2++) {
            if (counts[c2] == 0) {
                throw new IllegalArgumentException("The class '" + labels.get(c2) + "' has no training examples; remove it or add images.");
            }
        }
    }

    private static Problem problem(float[][] x, int[] y, int dim) {
        Problem p = new Problem();
        p.l = x.length;
        p.n = dim + 1;
        p.bias = 1.0;
        p.x = new Feature[x.length][];
        p.y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            p.x[i] = toFeatures(x[i], 1.0);
            p.y[i] = y[i];
        }
        return p;
    }

    /** Converts a dense vector to liblinear's sparse form, zeros left out, with the bias feature appended. */
    static Feature[] toFeatures(float[] v, double bias) {
        int nonZero = 0;
        for (float f : v) {
            if (f != 0f) {
                nonZero++;
            }
        }
        Feature[] out = new Feature[nonZero + (bias >= 0 ? 1 : 0)];
        int j = 0;
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0f) {
                out[j++] = new FeatureNode(i + 1, v[i]);
            }
        }
        if (bias >= 0) {
            out[j] = new FeatureNode(v.length + 1, bias);
        }
        return out;
    }

    @Override
    public String toString() {
        return "LinearHeadTrainer(kind=" + kind + ", C=" + (cvGrid == null ? Double.toString(c) : "cv" + Arrays.toString(cvGrid)
                + " over " + folds + " folds") + ", classWeights=" + classWeights + ", tolerance=" + tolerance + ", seed=" + seed + ")";
    }

    /** Builder for {@link LinearHeadTrainer}. */
    public static final class Builder {
        private Kind kind;
        private double c = 1.0;
        private double[] cvGrid;
        private int folds = 5;
        private ClassWeights classWeights = ClassWeights.uniform();
        private double tolerance = 1e-4;
        private long seed = 42;

        private Builder() {
        }

        /** @param kind logistic regression or linear SVM @return this builder */
        public Builder setKind(Kind kind) {
            this.kind = kind;
            return this;
        }

        /** @param c inverse regularisation strength (default 1.0), as scikit-learn's C @return this builder */
        public Builder optC(double c) {
            if (!(c > 0) || Double.isInfinite(c)) {
                throw new IllegalArgumentException("C must be positive and finite, but was " + c + ".");
            }
            this.c = c;
            return this;
        }

        /**
         * Chooses C by cross-validation.
         *
         * @param grid  candidate values of C
         * @param folds number of folds, at least 2
         * @return this builder
         */
        public Builder optCrossValidation(double[] grid, int folds) {
            if (grid == null || grid.length == 0) {
                throw new IllegalArgumentException("The cross-validation grid of C values is empty.");
            }
            for (double g : grid) {
                if (!(g > 0) || Double.isInfinite(g)) {
                    throw new IllegalArgumentException("Every C in the grid must be positive and finite, but the grid is "
                            + Arrays.toString(grid) + ".");
                }
            }
            if (folds < 2) {
                throw new IllegalArgumentException("Cross-validation needs at least 2 folds, but got " + folds + ".");
            }
            this.cvGrid = grid.clone();
            this.folds = folds;
            return this;
        }

        /** @param classWeights weights for imbalanced classes (default uniform) @return this builder */
        public Builder optClassWeights(ClassWeights classWeights) {
            this.classWeights = Objects.requireNonNull(classWeights, "classWeights");
            return this;
        }

        /** @param tolerance solver stopping tolerance (default 1e-4, scikit-learn's) @return this builder */
        public Builder optTolerance(double tolerance) {
            if (!(tolerance > 0)) {
                throw new IllegalArgumentException("The tolerance must be positive, but was " + tolerance + ".");
            }
            this.tolerance = tolerance;
            return this;
        }

        /** @param seed seed for the solver's and the folds' randomness (default 42) @return this builder */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the trainer @throws MissingSettingException when no kind was set */
        public LinearHeadTrainer build() {
            if (kind == null) {
                throw new MissingSettingException("Choose the linear model with setKind(LOGISTIC_REGRESSION or LINEAR_SVM).");
            }
            return new LinearHeadTrainer(this);
        }
    }
}
