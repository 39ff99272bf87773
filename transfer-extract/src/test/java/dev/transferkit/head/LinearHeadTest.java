package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearHeadTest {
    private static final List<String> LABELS = List.of("red", "green", "blue");

    /** Gaussian blobs with overlapping classes, so accuracy is high but not perfect. */
    static final class Blobs {
        final float[][] x;
        final int[] y;

        Blobs(int n, int dim, int classes, double spread, long seed, int[] perClass) {
            Random r = new Random(seed);
            Random centres = new Random(7);
            double[][] mu = new double[classes][dim];
            for (double[] m : mu) {
                for (int d = 0; d < dim; d++) {
                    m[d] = centres.nextGaussian();
                }
            }
            x = new float[n][dim];
            y = new int[n];
            for (int i = 0; i < n; i++) {
                int c = perClass == null ? i % classes : pick(perClass, i);
                y[i] = c;
                for (int d = 0; d < dim; d++) {
                    x[i][d] = (float) (mu[c][d] + spread * r.nextGaussian());
                }
            }
        }

        private static int pick(int[] perClass, int i) {
            int acc = 0;
            for (int c = 0; c < perClass.length; c++) {
                acc += perClass[c];
                if (i < acc) {
                    return c;
                }
            }
            return perClass.length - 1;
        }
    }

    private static double accuracy(Head h, Blobs b) {
        int ok = 0;
        for (int i = 0; i < b.y.length; i++) {
            if (h.predict(b.x[i]) == b.y[i]) {
                ok++;
            }
        }
        return (double) ok / b.y.length;
    }

    private static LinearHeadTrainer trainer(LinearHeadTrainer.Kind kind) {
        return LinearHeadTrainer.builder().setKind(kind).build();
    }

    @Test
    void logisticRegressionLearnsAndGivesProbabilities() {
        Blobs train = new Blobs(300, 20, 3, 1.2, 1, null);
        Blobs test = new Blobs(300, 20, 3, 1.2, 2, null);
        LinearHead h = trainer(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).fit(train.x, train.y, LABELS);
        double acc = accuracy(h, test);
        assertTrue(acc > 0.8 && acc < 1.0, "accuracy " + acc);
        double[] p = h.scores(test.x[0]);
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-9);
        assertTrue(h.probabilistic());
    }

    @Test
    void svmGivesMarginsForTwoAndMoreClasses() {
        Blobs two = new Blobs(200, 10, 2, 1.0, 3, null);
        LinearHead h2 = trainer(LinearHeadTrainer.Kind.LINEAR_SVM).fit(two.x, two.y, List.of("a", "b"));
        double[] s = h2.scores(two.x[0]);
        assertEquals(-s[0], s[1], 1e-12);
        assertTrue(accuracy(h2, two) > 0.8);
        Blobs three = new Blobs(300, 10, 3, 1.0, 4, null);
        LinearHead h3 = trainer(LinearHeadTrainer.Kind.LINEAR_SVM).fit(three.x, three.y, LABELS);
        assertTrue(accuracy(h3, three) > 0.8);
        assertTrue(!h3.probabilistic());
    }

    @Test
    void savedBytesRestoreIdenticalScores() {
        Blobs b = new Blobs(150, 8, 3, 1.0, 5, null);
        for (LinearHeadTrainer t : List.of(trainer(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION), trainer(LinearHeadTrainer.Kind.LINEAR_SVM),
                LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                        .optMultiClass(LinearHeadTrainer.MultiClass.ONE_VS_REST).optStandardize(false).build())) {
            LinearHead h = t.fit(b.x, b.y, LABELS);
            LinearHead back = LinearHead.fromBytes(h.toBytes(), LABELS, 8, h.info());
            assertEquals(h.standardized(), back.standardized());
            assertEquals(h.probabilistic(), back.probabilistic());
            for (float[] row : b.x) {
                assertArrayEquals(h.scores(row), back.scores(row), 0.0);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearHead.fromBytes(h.toBytes(), LABELS, 9, Map.of()));
            assertTrue(e.getMessage().contains("maps 8 features to 3 classes, but 9 features and 3 classes"), e.getMessage());
        }
        byte[] truncated = java.util.Arrays.copyOf(trainer(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).fit(b.x, b.y, LABELS).toBytes(), 100);
        assertMessage(() -> LinearHead.fromBytes(truncated, LABELS, 8, Map.of()), "truncated or unreadable");
    }

    @Test
    void crossValidationIsSkippedWhenAClassHasFewerExamplesThanFolds() {
        // Two classes of 6 examples and one of 2 (a class folder with almost no images), balanced weights as in
        // TransferLearner: a fold training without the small class made liblinear throw "class label 2 ... not found".
        float[][] x = new float[14][];
        int[] y = new int[14];
        for (int i = 0; i < 14; i++) {
            y[i] = i < 6 ? 0 : i < 12 ? 1 : 2;
            x[i] = new float[]{y[i] == 0 ? 1f : 0f, y[i] == 1 ? 1f : 0f, y[i] == 2 ? 1f : 0f, i * 0.01f};
        }
        LinearHead h = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).optC(10)
                .optCrossValidation(new double[]{0.01, 1}, 5).optClassWeights(ClassWeights.balanced()).build()
                .fit(x, y, LABELS);
        assertEquals("skipped: the class '" + LABELS.get(2) + "' has only 2 example(s), fewer than the 5 folds",
                h.info().get("crossValidation"));
        assertEquals("10.0", h.info().get("C"));
        for (int i = 0; i < 14; i++) {
            assertEquals(y[i], h.predict(x[i]), "example " + i);
        }
    }

    @Test
    void crossValidationPicksAGridValueAndRecordsScores() {
        Blobs b = new Blobs(200, 10, 3, 1.5, 6, null);
        LinearHead h = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{1e-4, 0.1, 10}, 4).build().fit(b.x, b.y, LABELS);
        assertTrue(h.info().get("crossValidation").startsWith("4-fold accuracy C=0.000100000:"), h.info().toString());
        // The chosen C is the first one with the best recorded score.
        Matcher m = Pattern.compile("C=([0-9.e+-]+):([0-9.]+)").matcher(h.info().get("crossValidation"));
        double bestScore = -1;
        double bestC = Double.NaN;
        int n = 0;
        while (m.find()) {
            n++;
            double score = Double.parseDouble(m.group(2));
            if (score > bestScore) {
                bestScore = score;
                bestC = Double.parseDouble(m.group(1));
            }
        }
        assertEquals(3, n, h.info().toString());
        assertEquals(bestC, h.c(), 1e-12 * bestC);
        LinearHead again = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(new double[]{1e-4, 0.1, 10}, 4).build().fit(b.x, b.y, LABELS);
        assertEquals(h.info(), again.info(), "same seed, same folds, same choice");
    }

    @Test
    void balancedClassWeightsRaiseRecallOfTheRareClass() {
        int[] perClass = {380, 20};
        Blobs b = new Blobs(400, 5, 2, 2.0, 8, perClass);
        List<String> labels = List.of("common", "rare");
        LinearHead plain = trainer(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).fit(b.x, b.y, labels);
        LinearHead weighted = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optClassWeights(ClassWeights.balanced()).build().fit(b.x, b.y, labels);
        assertTrue(rareRecall(weighted, b) > rareRecall(plain, b),
                "balanced " + rareRecall(weighted, b) + " vs plain " + rareRecall(plain, b));
        assertArrayEquals(new double[]{400.0 / (2 * 380), 400.0 / (2 * 20)}, ClassWeights.balanced().resolve(labels, b.y), 1e-12);
    }

    private static double rareRecall(Head h, Blobs b) {
        int ok = 0;
        int n = 0;
        for (int i = 0; i < b.y.length; i++) {
            if (b.y[i] == 1) {
                n++;
                ok += h.predict(b.x[i]) == 1 ? 1 : 0;
            }
        }
        return (double) ok / n;
    }

    @Test
    void invalidInputsGetSpecificMessages() {
        LinearHeadTrainer t = trainer(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION);
        float[][] x = {{1, 2}, {3, 4}, {5, 6}};
        assertMessage(() -> t.fit(new float[0][], new int[0], LABELS), "none were given");
        assertMessage(() -> t.fit(x, new int[]{0, 1}, LABELS), "3 feature vectors but 2 labels");
        assertMessage(() -> t.fit(x, new int[]{0, 1, 5}, LABELS), "Example 2 has class index 5");
        assertMessage(() -> t.fit(x, new int[]{0, 1, 1}, LABELS), "The class 'blue' has no training examples");
        assertMessage(() -> t.fit(new float[][]{{1, 2}, {3}, {5, 6}}, new int[]{0, 1, 2}, LABELS), "Feature vector 1 has length 1");
        assertMessage(() -> t.fit(new float[][]{{1, 2}, {Float.NaN, 4}, {5, 6}}, new int[]{0, 1, 2}, LABELS), "non-finite value NaN");
        assertMessage(() -> t.fit(x, new int[]{0, 0, 0}, List.of("only")), "at least two classes");
        assertMessage(() -> LinearHeadTrainer.builder().optC(-1), "C must be positive");
        assertMessage(() -> LinearHeadTrainer.builder().optCrossValidation(new double[]{1}, 1), "at least 2 folds");
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> LinearHeadTrainer.builder().build());
        assertMessage(() -> ClassWeights.of(Map.of("red", 0.0)), "weight of class 'red' must be positive");
        assertMessage(() -> ClassWeights.of(Map.of("purple", 2.0)).resolve(LABELS, new int[]{0}), "'purple', which is not one of the classes");
        LinearHead h = t.fit(x, new int[]{0, 1, 2}, LABELS);
        assertMessage(() -> h.scores(new float[3]), "trained on 2-dimensional features but was given a vector of length 3");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), "message was: " + ex.getMessage());
    }

    /** The same features through scikit-learn's liblinear models (Debian python3-sklearn) must reach the same test accuracy. */
    @Test
    void liblinearMatchesScikitLearnOnTheSameFeatures(@TempDir Path dir) throws Exception {
        Blobs train = new Blobs(400, 16, 3, 1.6, 11, null);
        Blobs test = new Blobs(400, 16, 3, 1.6, 12, null);
        Path trainCsv = writeCsv(dir.resolve("train.csv"), train);
        Path testCsv = writeCsv(dir.resolve("test.csv"), test);
        String json = PythonCheck.run(Path.of("src/test/python/sklearn_linear.py"), trainCsv.toString(), testCsv.toString(), "1.0");
        double skLr = number(json, "logistic_regression");
        double skSvm = number(json, "linear_svm");
        double lr = accuracy(LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optSolver(LinearHeadTrainer.Solver.LIBLINEAR).optStandardize(false).build().fit(train.x, train.y, LABELS), test);
        double svm = accuracy(LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LINEAR_SVM).optStandardize(false).build()
                .fit(train.x, train.y, LABELS), test);
        assertTrue(lr > 0.7 && lr < 0.99, "the task must be neither trivial nor hopeless: " + lr);
        assertEquals(skLr, lr, 0.01, "logistic regression vs scikit-learn");
        assertEquals(skSvm, svm, 0.01, "linear SVM vs scikit-learn");
    }

    /**
     * The L-BFGS solver against scikit-learn's {@code LogisticRegression(solver="lbfgs")} on features standardised by
     * {@code StandardScaler}: the same objective, so the same optimum. Features get offsets and scales far from 0
     * and 1, so that standardisation matters.
     */
    @Test
    void lbfgsMatchesScikitLearnsLbfgsOnStandardisedFeatures(@TempDir Path dir) throws Exception {
        Blobs train = skewed(new Blobs(400, 16, 3, 1.6, 11, null));
        Blobs test = skewed(new Blobs(400, 16, 3, 1.6, 12, null));
        agree(dir, "multinomial", train, test, LABELS, 1.0, ClassWeights.uniform(), LinearHeadTrainer.MultiClass.MULTINOMIAL);
        agree(dir, "ovr", train, test, LABELS, 0.1, ClassWeights.uniform(), LinearHeadTrainer.MultiClass.ONE_VS_REST);
        Blobs rareTrain = skewed(new Blobs(400, 16, 2, 2.5, 13, new int[]{320, 80}));
        Blobs rareTest = skewed(new Blobs(400, 16, 2, 2.5, 14, new int[]{320, 80}));
        // Two classes: one weight vector, scikit-learn's binomial model (its "auto" scheme).
        agree(dir, "auto", rareTrain, rareTest, List.of("common", "rare"), 0.01, ClassWeights.balanced(),
                LinearHeadTrainer.MultiClass.MULTINOMIAL);
    }

    private static Blobs skewed(Blobs b) {
        for (float[] row : b.x) {
            for (int d = 0; d < row.length; d++) {
                row[d] = row[d] * (0.1f + 3 * d) + 50 - 7 * d;
            }
        }
        return b;
    }

    private static void agree(Path dir, String multiClass, Blobs train, Blobs test, List<String> labels, double c,
                              ClassWeights weights, LinearHeadTrainer.MultiClass scheme) throws Exception {
        Path trainCsv = writeCsv(dir.resolve("train.csv"), train);
        Path testCsv = writeCsv(dir.resolve("test.csv"), test);
        com.fasterxml.jackson.databind.JsonNode sk = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                PythonCheck.run(Path.of("src/test/python/sklearn_lbfgs.py"), trainCsv.toString(), testCsv.toString(),
                        Double.toString(c), multiClass, weights.toString()));
        LinearHead h = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).optC(c)
                .optClassWeights(weights).optMultiClass(scheme).build().fit(train.x, train.y, labels);
        double probability = 0;
        for (int i = 0; i < test.y.length; i++) {
            double[] p = h.scores(test.x[i]);
            for (int k = 0; k < p.length; k++) {
                probability = Math.max(probability, Math.abs(p[k] - sk.get("probabilities").get(i).get(k).asDouble()));
            }
        }
        double[][] w = h.weights();
        double coefficient = 0;
        double largest = 0;
        for (int k = 0; k < w.length; k++) {
            for (int j = 0; j < w[k].length; j++) {
                coefficient = Math.max(coefficient, Math.abs(w[k][j] - sk.get("coef").get(k).get(j).asDouble()));
                largest = Math.max(largest, Math.abs(w[k][j]));
            }
        }
        String what = multiClass + " C=" + c + " " + weights + ": " + h.info() + " vs scikit-learn " + sk.get("n_iter") + " iterations";
        System.out.printf(Locale.ROOT, "%s%n  max |p - p_sklearn| %.2e, max |w - w_sklearn| %.2e (largest |w| %.2f), accuracy %.4f vs %.4f%n",
                what, probability, coefficient, largest, accuracy(h, test), sk.get("accuracy").asDouble());
        // Both solvers minimise the same strictly convex objective and stop by the same rules (scipy's defaults:
        // an iteration lowering the loss by under 2.2e-9 of itself, or a small gradient), which here leaves both
        // within about 1e-7 of the optimum in probability. 1e-5 leaves a hundredfold margin for rounding, yet fails
        // for a slightly different objective: C scaled by 1.001 moves scikit-learn's probabilities on this data by
        // 1.1e-4, and standardising with the sample (n-1) rather than the population standard deviation by 2.8e-4.
        assertTrue(probability < 1e-5, what + ": probabilities differ by " + probability);
        assertTrue(coefficient < 1e-5 * largest, what + ": coefficients differ by " + coefficient);
        assertEquals(sk.get("accuracy").asDouble(), accuracy(h, test), 1.0 / test.y.length, what);
    }

    private static Path writeCsv(Path file, Blobs b) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.y.length; i++) {
            sb.append(b.y[i]);
            for (float v : b.x[i]) {
                sb.append(',').append(String.format(Locale.ROOT, "%.9g", v));
            }
            sb.append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*([0-9.eE+-]+)").matcher(json);
        assertTrue(m.find(), "no " + key + " in " + json);
        return Double.parseDouble(m.group(1));
    }
}
