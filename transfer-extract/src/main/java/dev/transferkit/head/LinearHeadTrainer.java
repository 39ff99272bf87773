package dev.transferkit.head;

import dev.transferkit.core.Checks;
import dev.transferkit.core.MissingSettingException;
import dev.transferkit.store.LoadedFeatures;

import de.bwaldvogel.liblinear.SolverType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a {@link LinearHead} on in-memory features: L2-regularised logistic regression or a linear SVM.
 *
 * <p>By default every feature is standardised with the mean and standard deviation of the training rows (saved in
 * the head and applied when it predicts), and logistic regression is solved by L-BFGS on scikit-learn's
 * {@code LogisticRegression(solver="lbfgs")} objective {@code sum_i s_i loss_i + ||W||^2 / (2C)} (intercepts not
 * penalised), multinomial (softmax) for more than two classes or, with {@link MultiClass#ONE_VS_REST}, one binary
 * problem per class. The data passes are ND4J (BLAS) matrix products; with fewer rows than features the solver
 * works on the rows' Gram matrix, so an iteration costs one pass over {@code rows x rows} values. The linear SVM
 * (squared hinge loss, dual) and, on request, logistic regression run in liblinear ({@link Solver#LIBLINEAR}), with
 * a bias feature of 1 as scikit-learn's liblinear models.
 *
 * <p>With {@link Builder#optCrossValidation} C is chosen by stratified k-fold cross-validation (accuracy, or
 * balanced accuracy when class weights are not uniform; ties go to the smaller C). Each fold solves the grid from
 * the smallest C up, starting from the previous solution; folds run in parallel on a pool of {@code optThreads}
 * threads; the final fit on all rows starts from the mean of the folds' solutions at the chosen C. Results do not
 * depend on the number of threads. While a solver runs, ND4J's OpenBLAS is single-threaded (a process-wide setting,
 * restored afterwards): its worker threads would only compete with the folds'. When a class has fewer examples than folds, some fold would train without it, so cross-validation is
 * skipped with a warning, the configured C is used and {@code info().get("crossValidation")} says why.
 */
public final class LinearHeadTrainer {
    /** The linear model to train. */
    public enum Kind {
        /** L2-regularised logistic regression: probabilities. */
        LOGISTIC_REGRESSION,
        /** L2-regularised linear SVM with squared hinge loss: margins. */
        LINEAR_SVM
    }

    /** How logistic regression handles more than two classes. */
    public enum MultiClass {
        /** One softmax model over all classes (scikit-learn's default). */
        MULTINOMIAL,
        /** One binary model per class against the rest, probabilities normalised (liblinear's scheme). */
        ONE_VS_REST
    }

    /** The optimiser. */
    public enum Solver {
        /** L-BFGS with BLAS matrix products: logistic regression only. */
        LBFGS,
        /** liblinear: logistic regression (one-vs-rest) and the linear SVM. */
        LIBLINEAR
    }

    private static final Logger LOG = LoggerFactory.getLogger(LinearHeadTrainer.class);
    /** scikit-learn's default iteration limit of its lbfgs solver. */
    static final int LBFGS_MAX_ITERATIONS = 100;

    private final Kind kind;
    private final Solver solver;
    private final MultiClass multiClass;
    private final boolean standardize;
    private final double c;
    private final double[] cvGrid;
    private final int folds;
    private final int patience;
    private final ClassWeights classWeights;
    private final double tolerance;
    private final Integer maxIterations;
    private final int threads;
    private final long seed;
    private final LbfgsSolver.Form form;

    private LinearHeadTrainer(Builder b) {
        this.kind = b.kind;
        this.solver = b.solver != null ? b.solver : b.kind == Kind.LINEAR_SVM ? Solver.LIBLINEAR : Solver.LBFGS;
        this.multiClass = b.multiClass != null ? b.multiClass : this.solver == Solver.LBFGS ? MultiClass.MULTINOMIAL : MultiClass.ONE_VS_REST;
        this.standardize = b.standardize;
        this.c = b.c;
        this.cvGrid = b.cvGrid;
        this.folds = b.folds;
        this.patience = b.patience;
        this.classWeights = b.classWeights;
        this.tolerance = b.tolerance;
        this.maxIterations = b.maxIterations;
        this.threads = b.threads;
        this.seed = b.seed;
        this.form = b.form;
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
     *                                  has a class without examples, or too few examples for the folds
     */
    public LinearHead fit(float[][] x, int[] y, List<String> labels) {
        Objects.requireNonNull(x, "features");
        Objects.requireNonNull(y, "labels");
        if (x.length == 0) {
            throw new IllegalArgumentException("A linear head needs training examples, but none were given.");
        }
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != x[0].length) {
                throw new IllegalArgumentException("Feature vector " + i + " has length " + x[i].length + " but the first has "
                        + x[0].length + ".");
            }
        }
        if (x[0].length == 0) {
            throw new IllegalArgumentException("The feature vectors are empty.");
        }
        return fit(Nd4j.create(x), y, labels);
    }

    /**
     * Trains a head on features loaded from a store.
     *
     * @param data features, labels and class names, e.g. from {@code FeatureStore.loadAll()}
     * @return the trained head
     */
    public LinearHead fit(LoadedFeatures data) {
        return fit(data.features(), data.labels(), data.labelNames());
    }

    /**
     * Trains a head on a feature matrix, which is not modified.
     *
     * @param x      features {@code [examples, dimension]}
     * @param y      class index per example
     * @param labels class names by index; every class must have at least one example
     * @return the trained head
     * @throws IllegalArgumentException as {@link #fit(float[][], int[], List)}
     */
    public LinearHead fit(INDArray x, int[] y, List<String> labels) {
        validate(x, y, labels);
        // Computing the standardisation also refuses non-finite values, so it runs even when it is not applied.
        Standardizer stats = fitStandardizer(x);
        Standardizer standardizer = standardize ? stats : null;
        double[] weights = classWeights.resolve(labels, y);
        Map<String, String> info = new LinkedHashMap<>();
        info.put("standardized", Boolean.toString(standardize));
        info.put("classWeights", classWeights.toString());
        Folds split = null;
        if (cvGrid != null) {
            String tooSmall = classWithFewerExamplesThanFolds(y, labels);
            if (tooSmall != null) {
                // A fold whose training part lacks a class cannot learn it.
                info.put("crossValidation", "skipped: " + tooSmall + ", fewer than the " + folds + " folds");
                LOG.warn("Skipping cross-validation and using C={}: {}, fewer than the {} folds.", c, tooSmall, folds);
            } else {
                split = Folds.stratified(y, labels.size(), folds, seed);
            }
        }
        return train(solver(x, standardizer, y, labels, weights, info), split, y, labels.size(), weights);
    }

    /**
     * Cross-validates the C grid without training the final head, for comparing feature sets (e.g. candidate layers)
     * by the scores the head's own choice of C would see.
     *
     * @param x      features {@code [examples, dimension]}, not modified
     * @param y      class index per example
     * @param labels class names by index; every class must have at least as many examples as folds
     * @return per C, the folds' mean and spread of accuracy and balanced accuracy, and the C {@link #fit} would choose
     * @throws IllegalStateException    when the trainer has no cross-validation grid ({@link Builder#optCrossValidation})
     * @throws IllegalArgumentException as {@link #fit(INDArray, int[], List)}, or naming a class with fewer examples
     *                                  than folds
     */
    public CrossValidationReport crossValidate(INDArray x, int[] y, List<String> labels) {
        if (cvGrid == null) {
            throw new IllegalStateException("This trainer has no cross-validation grid; set one with optCrossValidation.");
        }
        validate(x, y, labels);
        String tooSmall = classWithFewerExamplesThanFolds(y, labels);
        if (tooSmall != null) {
            throw new IllegalArgumentException("Cross-validation needs every class in every fold, but " + tooSmall
                    + ", fewer than the " + folds + " folds.");
        }
        Standardizer stats = fitStandardizer(x);
        double[] weights = classWeights.resolve(labels, y);
        double[] grid = cvGrid.clone();
        Arrays.sort(grid);
        return CrossValidation.run(solver(x, standardize ? stats : null, y, labels, weights, new LinkedHashMap<>()),
                Folds.stratified(y, labels.size(), folds, seed), grid, y, labels.size(), !isUniform(weights), patience).report();
    }

    private <P extends LinearSolver.FoldPath> LinearHead train(LinearSolver<P> s, Folds split, int[] y, int classes,
                                                              double[] weights) {
        if (split == null) {
            return withInfo(s.fit(c, List.of(), 0), Map.of());
        }
        double[] grid = cvGrid.clone();
        Arrays.sort(grid);
        CrossValidation.Outcome<P> outcome = CrossValidation.run(s, split, grid, y, classes, !isUniform(weights), patience);
        String scores = folds + "-fold " + (isUniform(weights) ? "accuracy" : "balanced accuracy") + " " + outcome.scores();
        LOG.info("Cross-validation chose C={} ({})", grid[outcome.best()], scores);
        return withInfo(s.fit(grid[outcome.best()], outcome.paths(), outcome.best()), Map.of("crossValidation", scores));
    }

    /**
     * Computes the mean and standard deviation of every column, refusing non-finite values.
     *
     * @param x rows of features {@code [n, d]}, n at least 1
     * @return the standardisation
     * @throws IllegalArgumentException naming the first row and value that is not finite
     */
    static Standardizer fitStandardizer(INDArray x) {
        int n = (int) x.rows();
        int d = (int) x.columns();
        // Sums of differences from the first row: exact enough when a feature's mean dwarfs its spread.
        float[] origin = x.getRow(0).toFloatVector();
        double[] sum = new double[d];
        double[] squares = new double[d];
        Matrices.forEachRow(x, (i, row) -> {
            for (int j = 0; j < d; j++) {
                float v = row[j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("Feature vector " + i + " contains the non-finite value " + v + ".");
                }
                double diff = (double) v - origin[j];
                sum[j] += diff;
                squares[j] += diff * diff;
            }
        });
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            double shift = sum[j] / n;
            mean[j] = origin[j] + shift;
            double std = Math.sqrt(Math.max(0, squares[j] / n - shift * shift));
            // A constant feature has all differences exactly zero; it keeps scale 1, as in scikit-learn.
            scale[j] = std == 0 ? 1 : std;
        }
        return new Standardizer(mean, scale);
    }

    /** The head with more training details, in a fixed reading order. */
    private static LinearHead withInfo(LinearHead head, Map<String, String> more) {
        Map<String, String> details = new LinkedHashMap<>(head.info());
        details.putAll(more);
        return new LinearHead(head.labels(), head.inputDim(), head.standardizer(), head.weights(), head.intercepts(),
                head.link(), order(details));
    }

    /** Puts the keys in a fixed reading order: how it was trained, then the choice of C, then the solver's report. */
    private static Map<String, String> order(Map<String, String> info) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : List.of("solver", "multiClass", "standardized", "classWeights", "crossValidation", "C")) {
            if (info.containsKey(key)) {
                out.put(key, info.get(key));
            }
        }
        out.putAll(info);
        return out;
    }

    private LinearSolver<?> solver(INDArray x, Standardizer standardizer, int[] y, List<String> labels, double[] weights,
                                   Map<String, String> info) {
        if (solver == Solver.LIBLINEAR) {
            checkLiblinearMemory(x);
            SolverType type = kind == Kind.LINEAR_SVM ? SolverType.L2R_L2LOSS_SVC_DUAL : SolverType.L2R_LR;
            return new LiblinearSolver(x, standardizer, y, labels, weights, type, tolerance, maxIterations, seed, threads, info);
        }
        Lbfgs lbfgs = new Lbfgs(maxIterations != null ? maxIterations : LBFGS_MAX_ITERATIONS, tolerance);
        LbfgsSolver.Form f = form != null ? form : LbfgsSolver.Form.choose(x.rows(), x.columns());
        return new LbfgsSolver(x, standardizer, y, labels, weights, multiClass == MultiClass.ONE_VS_REST, lbfgs, f, threads, info);
    }

    /** Names the first class with fewer examples than folds, or returns null when every class has enough. */
    private String classWithFewerExamplesThanFolds(int[] y, List<String> labels) {
        long[] counts = counts(y, labels.size());
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < folds) {
                return "the class '" + labels.get(i) + "' has only " + counts[i] + " example(s)";
            }
        }
        return null;
    }

    private static long[] counts(int[] y, int classes) {
        long[] counts = new long[classes];
        for (int v : y) {
            counts[v]++;
        }
        return counts;
    }

    private static boolean isUniform(double[] w) {
        return Arrays.stream(w).allMatch(v -> v == w[0]);
    }

    private void validate(INDArray x, int[] y, List<String> labels) {
        Objects.requireNonNull(x, "features");
        Objects.requireNonNull(y, "labels");
        Objects.requireNonNull(labels, "label names");
        if (x.rank() != 2) {
            throw new IllegalArgumentException("The features must be a matrix [examples, dimension], but have shape "
                    + Arrays.toString(x.shape()) + ".");
        }
        if (x.rows() == 0 || y.length == 0) {
            throw new IllegalArgumentException("A linear head needs training examples, but none were given.");
        }
        if (x.rows() != y.length) {
            throw new IllegalArgumentException("There are " + x.rows() + " feature vectors but " + y.length + " labels.");
        }
        if (x.columns() == 0) {
            throw new IllegalArgumentException("The feature vectors are empty.");
        }
        if (labels.size() < 2) {
            throw new IllegalArgumentException("A classifier needs at least two classes, but got " + labels + ".");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= labels.size()) {
                throw new IllegalArgumentException("Example " + i + " has class index " + y[i] + ", outside the " + labels.size()
                        + " classes " + labels + ".");
            }
        }
        long[] counts = counts(y, labels.size());
        if (Arrays.stream(counts).filter(n -> n > 0).count() == 1) {
            throw new IllegalArgumentException("All " + y.length + " training examples are of the class '"
                    + labels.get(y[0]) + "'; a classifier needs examples of at least two classes.");
        }
        for (int k = 0; k < counts.length; k++) {
            if (counts[k] == 0) {
                throw new IllegalArgumentException("The class '" + labels.get(k) + "' has no training examples; remove it or add images.");
            }
        }
        if (cvGrid != null && y.length < folds) {
            throw new IllegalArgumentException("Cross-validation over " + folds + " folds needs at least " + folds
                    + " training examples, but there are " + y.length + "; use fewer folds or a single C.");
        }
    }

    private static void checkLiblinearMemory(INDArray x) {
        long needed = x.rows() * (x.columns() + 1) * LiblinearSolver.BYTES_PER_VALUE;
        long budget = Runtime.getRuntime().maxMemory() / 2;
        if (needed > budget) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "liblinear would need about %.1f GB of heap for %d examples of dimension %d, more than half the JVM's "
                            + "maximum heap (%.1f GB). Use the L-BFGS solver, pooled features, raise -Xmx, or train the "
                            + "incremental MLP head from the store.",
                    needed / 1e9, x.rows(), x.columns(), Runtime.getRuntime().maxMemory() / 1e9));
        }
    }

    @Override
    public String toString() {
        return "LinearHeadTrainer(kind=" + kind + ", solver=" + solver + ", multiClass=" + multiClass + ", standardize="
                + standardize + ", C=" + (cvGrid == null ? Double.toString(c) : "cv" + Arrays.toString(cvGrid) + " over "
                + folds + " folds" + (patience < cvGrid.length ? ", patience " + patience : "")) + ", classWeights=" + classWeights + ", tolerance=" + tolerance
                + (maxIterations == null ? "" : ", maxIterations=" + maxIterations) + ", threads=" + threads + ", seed=" + seed + ")";
    }

    /** Builder for {@link LinearHeadTrainer}. */
    public static final class Builder {
        private Kind kind;
        private Solver solver;
        private MultiClass multiClass;
        private boolean standardize = true;
        private double c = 1.0;
        private double[] cvGrid;
        private int folds = 5;
        private int patience = Integer.MAX_VALUE;
        private ClassWeights classWeights = ClassWeights.uniform();
        private double tolerance = 1e-4;
        private Integer maxIterations;
        private int threads = Runtime.getRuntime().availableProcessors();
        private long seed = 42;
        private LbfgsSolver.Form form;

        private Builder() {
        }

        /** @param kind logistic regression or linear SVM @return this builder */
        public Builder setKind(Kind kind) {
            this.kind = kind;
            return this;
        }

        /**
         * @param solver LBFGS (default for logistic regression) or LIBLINEAR (default, and the only one, for the SVM)
         * @return this builder
         */
        public Builder optSolver(Solver solver) {
            this.solver = Objects.requireNonNull(solver, "solver");
            return this;
        }

        /**
         * @param multiClass how logistic regression treats more than two classes: MULTINOMIAL (default with L-BFGS) or
         *                   ONE_VS_REST (default, and the only one, with liblinear and for the SVM)
         * @return this builder
         */
        public Builder optMultiClass(MultiClass multiClass) {
            this.multiClass = Objects.requireNonNull(multiClass, "multiClass");
            return this;
        }

        /**
         * @param standardize whether to standardise every feature with the training rows' mean and standard deviation
         *                    (default true); the head applies the same standardisation when it predicts
         * @return this builder
         */
        public Builder optStandardize(boolean standardize) {
            this.standardize = standardize;
            return this;
        }

        /** @param c inverse regularisation strength (default 1.0), as scikit-learn's C @return this builder */
        public Builder optC(double c) {
            this.c = Checks.finitePositive("C", c);
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

        /**
         * Stops cross-validation's ascending C grid early: once the score has not improved for {@code patience} C
         * values in a row, the larger C values (the least regularised, the slowest to fit) are not tried. By default
         * every C is tried. A probe of many candidate layers uses 1.
         *
         * @param patience C values in a row without a better score, at least 1
         * @return this builder
         */
        public Builder optCrossValidationPatience(int patience) {
            if (patience < 1) {
                throw new IllegalArgumentException("The cross-validation patience must be at least 1 C value, but was "
                        + patience + ".");
            }
            this.patience = patience;
            return this;
        }

        /** @param classWeights weights for imbalanced classes (default uniform) @return this builder */
        public Builder optClassWeights(ClassWeights classWeights) {
            this.classWeights = Objects.requireNonNull(classWeights, "classWeights");
            return this;
        }

        /**
         * @param tolerance stopping tolerance (default 1e-4, scikit-learn's): for L-BFGS the Euclidean norm of the
         *                  gradient, for liblinear its own criterion
         * @return this builder
         */
        public Builder optTolerance(double tolerance) {
            this.tolerance = Checks.positive("The tolerance", tolerance);
            return this;
        }

        /**
         * @param maxIterations iteration limit of each fit (default 100 for L-BFGS, as scikit-learn; liblinear's own
         *                      1000 for liblinear)
         * @return this builder
         */
        public Builder optMaxIterations(int maxIterations) {
            this.maxIterations = Checks.atLeast("The iteration limit", maxIterations, 1);
            return this;
        }

        /**
         * @param threads how many cross-validation folds train at once (default: the number of processors), each on
         *                one thread with single-threaded BLAS; the result is the same for any value
         * @return this builder
         */
        public Builder optThreads(int threads) {
            this.threads = Checks.atLeast("The number of threads", threads, 1);
            return this;
        }

        /** @param seed seed for the folds' and liblinear's randomness (default 42) @return this builder */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Forces the L-BFGS solver's representation of the rows, for tests; by default it is chosen by size. */
        Builder form(LbfgsSolver.Form form) {
            this.form = form;
            return this;
        }

        /**
         * @return the trainer
         * @throws MissingSettingException  when no kind was set
         * @throws IllegalArgumentException when the kind, solver and multi-class scheme do not go together
         */
        public LinearHeadTrainer build() {
            if (kind == null) {
                throw new MissingSettingException("Choose the linear model with setKind(LOGISTIC_REGRESSION or LINEAR_SVM).");
            }
            if (kind == Kind.LINEAR_SVM && solver == Solver.LBFGS) {
                throw new IllegalArgumentException("The linear SVM is trained by liblinear; the LBFGS solver is for logistic regression.");
            }
            if (multiClass == MultiClass.MULTINOMIAL && (kind == Kind.LINEAR_SVM || solver == Solver.LIBLINEAR)) {
                throw new IllegalArgumentException("liblinear trains " + (kind == Kind.LINEAR_SVM ? "the linear SVM" : "logistic regression")
                        + " one-vs-rest only; MULTINOMIAL needs logistic regression with the LBFGS solver.");
            }
            return new LinearHeadTrainer(this);
        }
    }
}
