package dev.transferkit.examples.bench;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.LinearHead;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.LoadedFeatures;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Times TransferKit's logistic-regression head against scikit-learn on the same HDF5 feature stores: TransferKit's
 * {@link LinearHeadTrainer} (standardised features, C chosen by stratified k-fold cross-validation, L-BFGS) against
 * scikit-learn's {@code StandardScaler} + {@code LogisticRegressionCV(solver="lbfgs")} with the same grid, folds,
 * tolerance and iteration limit ({@code scripts/sklearn_head_bench.py}, run by /usr/bin/python3 reading the stores
 * with h5py). It runs on (a) a store given with {@code --store} (its rows whose index modulo {@code --holdout-every}
 * is the last are the test split, unless {@code --test-store} is given) and (b) a synthetic store of 5,000 x 25,088
 * ReLU features with a class signal ({@link SyntheticStores}) and a test store of 1,250 rows from the same
 * distribution. It reports fit time (standardising and cross-validating, without loading), accuracy and balanced
 * accuracy on the test rows, and the chosen C. Timings are of single runs (medians with {@code --repeat}), wall clock
 * and the process's CPU time (all threads, including the JVM's compiler and collector); run it on a quiet machine.
 * The CPU's flags and the load average are printed with the results.
 *
 * <pre>
 * mvn -q -B -o -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.HeadBench \
 *   -Dexec.args="--store work/train.h5"
 * </pre>
 * Options: {@code --store PATH}, {@code --test-store PATH}, {@code --holdout-every K} (default 5), {@code --no-synthetic},
 * {@code --synthetic-rows N} (5000), {@code --synthetic-test-rows N} (1250), {@code --synthetic-dim D} (25088),
 * {@code --synthetic-classes K} (2), {@code --synthetic-signal S} (0.2), {@code --cs LIST} (0.0001,0.001,0.01,0.1,1,10),
 * {@code --folds K} (5), {@code --max-iter N} (100), {@code --tol T} (1e-4), {@code --class-weights uniform|balanced},
 * {@code --threads N} (TransferKit's folds at once; default the cores), {@code --solvers lbfgs,liblinear} (default
 * lbfgs), {@code --repeat N} (1), {@code --no-sklearn}, {@code --sklearn-jobs N} (LogisticRegressionCV's n_jobs;
 * default its own, one process), {@code --python PATH} (/usr/bin/python3), {@code --script PATH}
 * (scripts/sklearn_head_bench.py), {@code --work DIR} (where the synthetic stores go; default a temporary directory,
 * deleted afterwards).
 */
public final class HeadBench {
    /**
     * One measured system on one data set.
     *
     * @param data             the data set's name
     * @param trainRows        training rows
     * @param dim              feature dimension
     * @param testRows         test rows
     * @param classes          number of classes
     * @param system           what was timed
     * @param fitSeconds       median fit time
     * @param cpuSeconds       the process's CPU time during the fit of median time
     * @param accuracy         test accuracy
     * @param balancedAccuracy test balanced accuracy
     * @param c                the chosen C
     */
    record Result(String data, long trainRows, long dim, long testRows, int classes, String system, double fitSeconds,
                  double cpuSeconds, double accuracy, double balancedAccuracy, double c) {
    }

    private HeadBench() {
    }

    /**
     * @param args see the class documentation
     * @throws IOException when the synthetic stores cannot be written
     */
    public static void main(String[] args) throws IOException {
        run(InferenceBench.parse(args), System.out);
    }

    /**
     * Runs the bench.
     *
     * @param opt parsed options
     * @param out where to print
     * @return every measurement
     * @throws IOException when the synthetic stores cannot be written
     */
    static List<Result> run(Map<String, String> opt, PrintStream out) throws IOException {
        out.println("# HeadBench");
        out.println(Machine.describe());
        out.println("load at start: " + Machine.loadAverage());
        out.println("options: " + opt);
        List<Result> results = new ArrayList<>();
        int holdout = Integer.parseInt(opt.getOrDefault("holdout-every", "5"));
        if (opt.containsKey("store")) {
            Path store = Path.of(opt.get("store"));
            Path test = opt.containsKey("test-store") ? Path.of(opt.get("test-store")) : null;
            results.addAll(bench(store.getFileName().toString(), store, test, holdout, opt, out));
        }
        if (!opt.containsKey("no-synthetic")) {
            boolean keep = opt.containsKey("work");
            Path work = keep ? Files.createDirectories(Path.of(opt.get("work"))) : Files.createTempDirectory("transferkit-headbench-");
            try {
                int rows = Integer.parseInt(opt.getOrDefault("synthetic-rows", "5000"));
                int testRows = Integer.parseInt(opt.getOrDefault("synthetic-test-rows", "1250"));
                int dim = Integer.parseInt(opt.getOrDefault("synthetic-dim", "25088"));
                int classes = Integer.parseInt(opt.getOrDefault("synthetic-classes", "2"));
                double signal = Double.parseDouble(opt.getOrDefault("synthetic-signal", "0.2"));
                long t0 = System.nanoTime();
                SyntheticStores synthetic = new SyntheticStores(dim, classes, signal, 7);
                synthetic.write(work.resolve("synthetic-train.h5"), rows, "train");
                synthetic.write(work.resolve("synthetic-test.h5"), testRows, "test");
                out.printf(Locale.ROOT, "%nWrote synthetic stores (%d + %d rows x %d, %d classes, signal %s) in %.1f s to %s%n",
                        rows, testRows, dim, classes, signal, (System.nanoTime() - t0) / 1e9, work);
                results.addAll(bench("synthetic", work.resolve("synthetic-train.h5"), work.resolve("synthetic-test.h5"),
                        holdout, opt, out));
            } finally {
                if (!keep) {
                    try (var files = Files.walk(work)) {
                        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
        out.println("\n## Logistic regression, C by " + opt.getOrDefault("folds", "5") + "-fold cross-validation over C in {"
                + opt.getOrDefault("cs", "0.0001,0.001,0.01,0.1,1,10") + "}, standardised features\n");
        out.println("| data | train rows x dim | test rows | classes | system | fit s | CPU s | time / scikit-learn | accuracy "
                + "| balanced accuracy | C |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            Optional<Result> sk = results.stream().filter(o -> o.data().equals(r.data()) && o.system().startsWith("scikit-learn")).findFirst();
            out.printf(Locale.ROOT, "| %s | %d x %d | %d | %d | %s | %.2f | %.2f | %s | %.4f | %.4f | %g |%n", r.data(), r.trainRows(),
                    r.dim(), r.testRows(), r.classes(), r.system(), r.fitSeconds(), r.cpuSeconds(),
                    sk.map(s -> String.format(Locale.ROOT, "%.2fx", r.fitSeconds() / s.fitSeconds())).orElse("-"),
                    r.accuracy(), r.balancedAccuracy(), r.c());
        }
        out.println("\n" + Machine.describe());
        out.println("load at end: " + Machine.loadAverage());
        return results;
    }

    private static List<Result> bench(String name, Path trainPath, Path testPath, int holdout, Map<String, String> opt,
                                      PrintStream out) {
        double[] cs = Arrays.stream(opt.getOrDefault("cs", "0.0001,0.001,0.01,0.1,1,10").split(",")).mapToDouble(Double::parseDouble).toArray();
        int folds = Integer.parseInt(opt.getOrDefault("folds", "5"));
        int maxIter = Integer.parseInt(opt.getOrDefault("max-iter", "100"));
        double tol = Double.parseDouble(opt.getOrDefault("tol", "1e-4"));
        boolean balanced = "balanced".equals(opt.getOrDefault("class-weights", "uniform"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        int repeat = Integer.parseInt(opt.getOrDefault("repeat", "1"));

        long t0 = System.nanoTime();
        LoadedFeatures train;
        LoadedFeatures test;
        try (FeatureStore store = FeatureStore.open(trainPath)) {
            LoadedFeatures all = store.loadAll();
            if (testPath == null) {
                int[] testRows = IntStream.range(0, all.rows()).filter(i -> i % holdout == holdout - 1).toArray();
                int[] trainRows = IntStream.range(0, all.rows()).filter(i -> i % holdout != holdout - 1).toArray();
                train = subset(all, trainRows);
                test = subset(all, testRows);
            } else {
                train = all;
                try (FeatureStore t = FeatureStore.open(testPath)) {
                    t.requireCompatible(store.spec());
                    test = t.loadAll();
                }
            }
        }
        out.printf(Locale.ROOT, "%n## %s: %d training rows x %d, %d test rows, %d classes (loaded in %.1f s)%n", name,
                train.rows(), train.features().columns(), test.rows(), train.labelNames().size(), (System.nanoTime() - t0) / 1e9);

        List<Result> results = new ArrayList<>();
        for (String solver : opt.getOrDefault("solvers", "lbfgs").split(",")) {
            LinearHeadTrainer.Builder b = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                    .optCrossValidation(cs, folds).optTolerance(tol).optThreads(threads)
                    .optClassWeights(balanced ? ClassWeights.balanced() : ClassWeights.uniform());
            if ("liblinear".equals(solver)) {
                b.optSolver(LinearHeadTrainer.Solver.LIBLINEAR);
            } else {
                b.optSolver(LinearHeadTrainer.Solver.LBFGS).optMaxIterations(maxIter);
            }
            LinearHeadTrainer trainer = b.build();
            double[] seconds = new double[repeat];
            double[] cpu = new double[repeat];
            LinearHead head = null;
            for (int i = 0; i < repeat; i++) {
                long cpuStart = processCpuNanos();
                long start = System.nanoTime();
                head = trainer.fit(train);
                seconds[i] = (System.nanoTime() - start) / 1e9;
                cpu[i] = (processCpuNanos() - cpuStart) / 1e9;
            }
            ClassificationReport report = evaluate(head, test);
            String system = "TransferKit " + solver;
            out.printf(Locale.ROOT, "%s: fit %s s (CPU %s s), accuracy %.4f, balanced accuracy %.4f%n  %s%n", system,
                    Arrays.toString(seconds), Arrays.toString(cpu), report.accuracy(), report.balancedAccuracy(), head.info());
            results.add(new Result(name, train.rows(), train.features().columns(), test.rows(), train.labelNames().size(),
                    system, median(seconds), cpu[medianIndex(seconds)], report.accuracy(), report.balancedAccuracy(), head.c()));
        }

        SklearnHeadPeer peer = new SklearnHeadPeer(opt.getOrDefault("python", "/usr/bin/python3"),
                Path.of(opt.getOrDefault("script", "scripts/sklearn_head_bench.py")));
        if (!opt.containsKey("no-sklearn") && peer.available()) {
            List<String> args = new ArrayList<>(List.of(trainPath.toString()));
            args.addAll(testPath == null ? List.of("--holdout-every", String.valueOf(holdout)) : List.of("--test", testPath.toString()));
            args.addAll(List.of("--cs", opt.getOrDefault("cs", "0.0001,0.001,0.01,0.1,1,10"), "--folds", String.valueOf(folds),
                    "--max-iter", String.valueOf(maxIter), "--tol", String.valueOf(tol),
                    "--class-weight", balanced ? "balanced" : "none"));
            if (opt.containsKey("sklearn-jobs")) {
                args.addAll(List.of("--n-jobs", opt.get("sklearn-jobs")));
            }
            double[] seconds = new double[repeat];
            double[] cpu = new double[repeat];
            Map<String, Object> last = null;
            for (int i = 0; i < repeat; i++) {
                Optional<Map<String, Object>> r = peer.run(args);
                if (r.isEmpty()) {
                    return results;
                }
                last = r.get();
                seconds[i] = ((Number) last.get("fit_seconds")).doubleValue();
                cpu[i] = ((Number) last.get("cpu_seconds")).doubleValue();
            }
            out.printf(Locale.ROOT, "scikit-learn LogisticRegressionCV: fit %s s (CPU %s s), accuracy %.4f, balanced accuracy %.4f%n  %s%n",
                    Arrays.toString(seconds), Arrays.toString(cpu), ((Number) last.get("accuracy")).doubleValue(),
                    ((Number) last.get("balanced_accuracy")).doubleValue(), last);
            results.add(new Result(name, ((Number) last.get("train_rows")).longValue(), ((Number) last.get("dim")).longValue(),
                    ((Number) last.get("test_rows")).longValue(), train.labelNames().size(), "scikit-learn LogisticRegressionCV",
                    median(seconds), cpu[medianIndex(seconds)], ((Number) last.get("accuracy")).doubleValue(),
                    ((Number) last.get("balanced_accuracy")).doubleValue(), ((Number) last.get("C")).doubleValue()));
        }
        return results;
    }

    private static LoadedFeatures subset(LoadedFeatures all, int[] rows) {
        INDArray x = Nd4j.pullRows(all.features(), 1, rows);
        int[] y = Arrays.stream(rows).map(i -> all.labels()[i]).toArray();
        return new LoadedFeatures(x, y, all.labelNames());
    }

    private static ClassificationReport evaluate(LinearHead head, LoadedFeatures test) {
        int[] predicted = new int[test.rows()];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = head.predict(test.features().getRow(i).toFloatVector());
        }
        return ClassificationReport.of(test.labelNames(), test.labels(), predicted);
    }

    /** @return this process's CPU time (all threads), in nanoseconds */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** @return the index of the median (the lower middle one for an even count) */
    private static int medianIndex(double[] v) {
        Integer[] order = IntStream.range(0, v.length).boxed().sorted((a, b) -> Double.compare(v[a], v[b])).toArray(Integer[]::new);
        return order[(v.length - 1) / 2];
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
