package dev.transferkit.spark;

import dev.transferkit.core.Checks;
import dev.transferkit.head.LinearHead;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.classification.OneVsRest;
import org.apache.spark.ml.classification.OneVsRestModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a logistic-regression {@link LinearHead} on features in Spark with MLlib (L-BFGS), for feature sets too large
 * for one machine's liblinear. Two classes train one binomial model; more train one binomial model per class
 * ({@link OneVsRest}), which is what liblinear does and what a {@code LinearHead} represents exactly (see
 * {@link MllibHeads}). The regularisation follows liblinear's C: MLlib minimises
 * {@code mean(loss) + regParam/2 |w|^2} without standardisation, and {@code regParam = 1 / (C n)} makes that
 * liblinear's {@code C sum(loss) + 1/2 |w|^2} divided by {@code C n}; the one difference is that MLlib does not
 * penalise the intercept while liblinear penalises its bias weight.
 */
public final class SparkLinearHeadTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SparkLinearHeadTrainer.class);

    private final double c;
    private final int maxIterations;
    private final double tolerance;
    private final int parallelism;

    private SparkLinearHeadTrainer(Builder b) {
        this.c = b.c;
        this.maxIterations = b.maxIterations;
        this.tolerance = b.tolerance;
        this.parallelism = b.parallelism;
    }

    /** @return a builder with liblinear's default C of 1 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains a head.
     *
     * @param data   a table with an ML vector column {@value SparkFeatureStores#FEATURES} and a double column
     *               {@value SparkFeatureStores#LABEL} of class indices, e.g. from {@link SparkFeatureStores#read}
     * @param labels the class names, by index; every class needs at least one example
     * @return the trained head
     * @throws IllegalArgumentException when there are fewer than two classes, a label is outside them, or a class has
     *                                  no examples
     */
    public LinearHead fit(Dataset<Row> data, List<String> labels) {
        Objects.requireNonNull(data, "data");
        if (labels == null || labels.size() < 2) {
            throw new IllegalArgumentException("A classifier needs at least two classes, but got " + labels + ".");
        }
        long[] counts = classCounts(data, labels);
        long n = java.util.Arrays.stream(counts).sum();
        double regParam = 1.0 / (c * n);
        LogisticRegression lr = new LogisticRegression().setFamily("binomial").setRegParam(regParam).setElasticNetParam(0)
                .setStandardization(false).setFitIntercept(true).setMaxIter(maxIterations).setTol(tolerance)
                .setFeaturesCol(SparkFeatureStores.FEATURES).setLabelCol(SparkFeatureStores.LABEL);
        Map<String, String> info = new LinkedHashMap<>();
        info.put("solver", "Spark MLlib LogisticRegression (L-BFGS), " + (labels.size() == 2 ? "binomial" : "one-vs-rest"));
        info.put("C", Double.toString(c));
        info.put("regParam", Double.toString(regParam));
        info.put("rows", Long.toString(n));
        long t0 = System.nanoTime();
        LinearHead head;
        if (labels.size() == 2) {
            LogisticRegressionModel model = lr.fit(data);
            info.put("iterations", Integer.toString(model.summary().totalIterations()));
            head = MllibHeads.fromLogisticRegression(model, labels, info);
        } else {
            OneVsRestModel model = new OneVsRest().setClassifier(lr).setParallelism(parallelism)
                    .setFeaturesCol(SparkFeatureStores.FEATURES).setLabelCol(SparkFeatureStores.LABEL).fit(data);
            head = MllibHeads.fromOneVsRest(model, labels, info);
        }
        LOG.info("Trained {} on {} rows in {} s.", info.get("solver"), n,
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        return head;
    }

    private static long[] classCounts(Dataset<Row> data, List<String> labels) {
        long[] counts = new long[labels.size()];
        for (Row r : data.groupBy(SparkFeatureStores.LABEL).count().collectAsList()) {
            double label = r.getDouble(0);
            if (label != Math.rint(label) || label < 0 || label >= labels.size()) {
                throw new IllegalArgumentException("The training data has the label " + label + ", which is not a class"
                        + " index of the " + labels.size() + " classes " + labels + ".");
            }
            counts[(int) label] = r.getLong(1);
        }
        for (int k = 0; k < counts.length; k++) {
            if (counts[k] == 0) {
                throw new IllegalArgumentException("The class '" + labels.get(k) + "' has no training examples; remove it"
                        + " or add images.");
            }
        }
        return counts;
    }

    @Override
    public String toString() {
        return "SparkLinearHeadTrainer(C=" + c + ", maxIterations=" + maxIterations + ", tolerance=" + tolerance
                + ", parallelism=" + parallelism + ")";
    }

    /** Builder for {@link SparkLinearHeadTrainer}. */
    public static final class Builder {
        private double c = 1.0;
        private int maxIterations = 100;
        private double tolerance = 1e-6;
        private int parallelism = 1;

        private Builder() {
        }

        /** @param c inverse regularisation strength, as liblinear's and scikit-learn's C (default 1) @return this builder */
        public Builder optC(double c) {
            this.c = Checks.finitePositive("C", c);
            return this;
        }

        /** @param maxIterations most L-BFGS iterations per model (default 100, MLlib's) @return this builder */
        public Builder optMaxIterations(int maxIterations) {
            this.maxIterations = Checks.atLeast("The iteration limit", maxIterations, 1);
            return this;
        }

        /** @param tolerance convergence tolerance (default 1e-6, MLlib's) @return this builder */
        public Builder optTolerance(double tolerance) {
            this.tolerance = Checks.positive("The tolerance", tolerance);
            return this;
        }

        /** @param parallelism one-vs-rest models trained at once (default 1) @return this builder */
        public Builder optParallelism(int parallelism) {
            this.parallelism = Checks.atLeast("The parallelism", parallelism, 1);
            return this;
        }

        /** @return the trainer */
        public SparkLinearHeadTrainer build() {
            return new SparkLinearHeadTrainer(this);
        }
    }
}
