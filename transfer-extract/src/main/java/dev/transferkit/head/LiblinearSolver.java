package dev.transferkit.head;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * liblinear's solvers (L2R_LR primal for logistic regression, L2R_L2LOSS_SVC_DUAL for the linear SVM; one-vs-rest
 * for more than two classes) with a bias feature of 1, as scikit-learn's {@code solver="liblinear"} and
 * {@code LinearSVC}. Along a fold's grid the primal logistic solver starts from the previous C's weights.
 */
final class LiblinearSolver implements LinearSolver<LiblinearSolver.Path> {
    /** Heap bytes liblinear needs per stored feature value (one FeatureNode object plus its array slot). */
    static final long BYTES_PER_VALUE = 32;

    /**
     * One fold's path.
     *
     * @param predictions per grid position, the predicted class of each held-out row
     * @param last        the model at the last grid position, where the next C starts
     */
    record Path(List<int[]> predictions, Model last) implements LinearSolver.FoldPath {
        @Override
        public int[] predictions(int index) {
            return predictions.get(index);
        }
    }

    private final Feature[][] rows;
    private final int[] y;
    private final int dim;
    private final List<String> labels;
    private final double[] classWeights;
    private final SolverType type;
    private final double tolerance;
    private final Integer maxIterations;
    private final long seed;
    private final int threads;
    private final Standardizer standardizer;
    private final Map<String, String> info;

    /**
     * @param x             raw features {@code [n, d]}
     * @param standardizer  the standardisation to train after, or null
     * @param y             class per row
     * @param labels        class names
     * @param classWeights  weight per class
     * @param type          the liblinear solver
     * @param tolerance     liblinear's stopping tolerance
     * @param maxIterations liblinear's iteration limit, or null for its default
     * @param seed          seed of liblinear's randomness
     * @param threads       how many folds to train at once
     * @param info          training details to start the head's info with
     */
    LiblinearSolver(INDArray x, Standardizer standardizer, int[] y, List<String> labels, double[] classWeights, SolverType type,
                    double tolerance, Integer maxIterations, long seed, int threads, Map<String, String> info) {
        Linear.disableDebugOutput();
        this.rows = new Feature[y.length][];
        Matrices.forEachRow(x, (i, raw) -> rows[i] = LiblinearModels.features(standardizer == null ? toDouble(raw)
                : standardizer.apply(raw), 1.0));
        this.y = y;
        this.dim = (int) x.columns();
        this.labels = labels;
        this.classWeights = classWeights;
        this.type = type;
        this.tolerance = tolerance;
        this.maxIterations = maxIterations;
        this.seed = seed;
        this.threads = threads;
        this.standardizer = standardizer;
        this.info = new LinkedHashMap<>(info);
        this.info.put("solver", "liblinear " + type);
        this.info.put("multiClass", labels.size() == 2 ? "binary" : "one-vs-rest");
    }

    private static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    private Problem problem(int[] subset) {
        Problem p = new Problem();
        p.l = subset.length;
        p.n = dim + 1;
        p.bias = 1.0;
        p.x = new Feature[subset.length][];
        p.y = new double[subset.length];
        for (int i = 0; i < subset.length; i++) {
            p.x[i] = rows[subset[i]];
            p.y[i] = y[subset[i]];
        }
        return p;
    }

    private Parameter parameter(double c, Model warmStart) {
        Parameter p = new Parameter(type, c, tolerance);
        int[] ids = java.util.stream.IntStream.range(0, labels.size()).toArray();
        p.setWeights(classWeights.clone(), ids);
        p.setRandom(new Random(seed));
        if (maxIterations != null) {
            p.setMaxIters(maxIterations);
        }
        if (warmStart != null && type == SolverType.L2R_LR) {
            p.setInitSol(warmStart.getFeatureWeights());
        }
        return p;
    }

    @Override
    public List<Path> extend(Folds folds, List<Path> paths, double[] cs) {
        List<java.util.concurrent.Callable<Path>> tasks = new java.util.ArrayList<>();
        for (int f = 0; f < folds.count(); f++) {
            int fold = f;
            Path previous = paths.isEmpty() ? null : paths.get(f);
            tasks.add(() -> {
                Problem problem = problem(folds.train(fold));
                Path path = previous;
                for (double c : cs) {
                    path = step(problem, folds.heldOut(fold), path, c);
                }
                return path;
            });
        }
        return BlasThreads.runAll(tasks, Math.min(threads, folds.count()));
    }

    /** Fits one C on a fold, starting from the fold's previous model, and predicts its held-out rows. */
    private Path step(Problem problem, int[] heldOut, Path previous, double c) {
        Model model = Linear.train(problem, parameter(c, previous == null ? null : previous.last()));
        int[] predictions = new int[heldOut.length];
        for (int i = 0; i < heldOut.length; i++) {
            predictions[i] = (int) Linear.predict(model, rows[heldOut[i]]);
        }
        return new Path(LinearSolver.appended(previous == null ? List.of() : previous.predictions(), predictions), model);
    }

    @Override
    public LinearHead fit(double c, List<Path> paths, int index) {
        int[] all = java.util.stream.IntStream.range(0, y.length).toArray();
        Model model = Linear.train(problem(all), parameter(c, null));
        Map<String, String> details = new LinkedHashMap<>(info);
        details.put("C", Double.toString(c));
        return LiblinearModels.toHead(model, labels, standardizer, details);
    }
}
