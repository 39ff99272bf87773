package dev.transferkit.head;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The L-BFGS solver's forms, warm starts, parallel folds, standardisation and refusals. */
class LinearHeadSolverTest {
    private static final List<String> LABELS = List.of("red", "green", "blue");
    private static final double[] GRID = {0.001, 0.01, 0.1, 1};

    private static LinearHeadTrainer.Builder logistic() {
        return LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION);
    }

    private static double maxDifference(Head a, Head b, float[][] x) {
        double d = 0;
        for (float[] row : x) {
            double[] p = a.scores(row);
            double[] q = b.scores(row);
            for (int k = 0; k < p.length; k++) {
                d = Math.max(d, Math.abs(p[k] - q[k]));
            }
        }
        return d;
    }

    @Test
    void theGramFormGivesTheHeadOfThePrimalForm() {
        // Fewer rows than features: the automatic choice is the Gram form.
        LinearHeadTest.Blobs b = new LinearHeadTest.Blobs(90, 150, 3, 4.0, 21, null);
        assertEquals(LbfgsSolver.Form.GRAM, LbfgsSolver.Form.choose(90, 150));
        assertEquals(LbfgsSolver.Form.PRIMAL, LbfgsSolver.Form.choose(150, 90));
        for (LinearHeadTrainer.MultiClass scheme : LinearHeadTrainer.MultiClass.values()) {
            LinearHead primal = logistic().optMultiClass(scheme).optCrossValidation(GRID, 3).optTolerance(1e-8)
                    .form(LbfgsSolver.Form.PRIMAL).build().fit(b.x, b.y, LABELS);
            LinearHead gram = logistic().optMultiClass(scheme).optCrossValidation(GRID, 3).optTolerance(1e-8)
                    .form(LbfgsSolver.Form.GRAM).build().fit(b.x, b.y, LABELS);
            assertEquals("L-BFGS", primal.info().get("solver"));
            assertTrue(gram.info().get("solver").contains("Gram matrix"), gram.info().toString());
            assertEquals(primal.info().get("crossValidation"), gram.info().get("crossValidation"));
            double d = maxDifference(primal, gram, b.x);
            assertTrue(d < 1e-5, scheme + ": the forms' probabilities differ by " + d + "\n" + primal.info() + "\n" + gram.info());
        }
    }

    @Test
    void theResultDoesNotDependOnTheNumberOfThreads() {
        LinearHeadTest.Blobs b = new LinearHeadTest.Blobs(240, 12, 3, 1.8, 22, null);
        for (LinearHeadTrainer.Builder builder : List.of(logistic(), logistic().form(LbfgsSolver.Form.GRAM),
                LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LINEAR_SVM))) {
            LinearHead one = builder.optCrossValidation(GRID, 5).optThreads(1).build().fit(b.x, b.y, LABELS);
            LinearHead four = builder.optCrossValidation(GRID, 5).optThreads(4).build().fit(b.x, b.y, LABELS);
            assertEquals(one.info(), four.info());
            for (float[] row : b.x) {
                assertArrayEquals(one.scores(row), four.scores(row), 0.0, one.info().toString());
            }
        }
    }

    @Test
    void crossValidationWithWarmStartsEndsAtTheDirectFitOfTheChosenC() {
        LinearHeadTest.Blobs b = new LinearHeadTest.Blobs(300, 10, 3, 2.0, 23, null);
        LinearHead cv = logistic().optCrossValidation(GRID, 5).build().fit(b.x, b.y, LABELS);
        LinearHead direct = logistic().optC(cv.c()).build().fit(b.x, b.y, LABELS);
        assertTrue(cv.info().get("crossValidation").startsWith("5-fold accuracy C=0.00100000:"), cv.info().toString());
        double d = maxDifference(cv, direct, b.x);
        assertTrue(d < 1e-4, "started from the folds' mean solution, the final fit differs from a cold one by " + d);
        assertEquals("multinomial", cv.info().get("multiClass"));
        assertEquals("true", cv.info().get("standardized"));
    }

    @Test
    void theHeadStandardisesWithTheTrainingRowsStatistics() {
        float[][] x = {{1, 100, 7}, {3, 300, 7}, {2, 250, 7}, {6, 150, 7}};
        int[] y = {0, 1, 1, 0};
        Standardizer s = LinearHeadTrainer.fitStandardizer(Nd4j.create(x));
        assertArrayEquals(new double[]{3, 200, 7}, s.mean(), 1e-12);
        assertArrayEquals(new double[]{Math.sqrt(3.5), Math.sqrt(6250), 1}, s.scale(), 1e-9, "population std; constant -> 1");
        LinearHead h = logistic().build().fit(x, y, List.of("a", "b"));
        assertTrue(h.standardized());
        double[][] w = h.weights();
        double z = h.intercepts()[0];
        for (int j = 0; j < 3; j++) {
            z += w[0][j] * (x[0][j] - s.mean()[j]) / s.scale()[j];
        }
        assertEquals(1 / (1 + Math.exp(-z)), h.scores(x[0])[1], 1e-12);
        assertEquals(0.0, w[0][2], 0.0, "a constant feature gets no weight");
        LinearHead raw = logistic().optStandardize(false).build().fit(x, y, List.of("a", "b"));
        assertFalse(raw.standardized());
        assertEquals("false", raw.info().get("standardized"));
    }

    @Test
    void oneVsRestIsAnOptionAndRecorded() {
        LinearHeadTest.Blobs b = new LinearHeadTest.Blobs(150, 6, 3, 1.5, 24, null);
        LinearHead ovr = logistic().optMultiClass(LinearHeadTrainer.MultiClass.ONE_VS_REST).build().fit(b.x, b.y, LABELS);
        assertEquals("one-vs-rest", ovr.info().get("multiClass"));
        assertEquals(1.0, Arrays.stream(ovr.scores(b.x[0])).sum(), 1e-12);
        LinearHead liblinear = logistic().optSolver(LinearHeadTrainer.Solver.LIBLINEAR).build().fit(b.x, b.y, LABELS);
        assertEquals("liblinear L2R_LR", liblinear.info().get("solver"));
        assertEquals("one-vs-rest", liblinear.info().get("multiClass"));
        assertEquals("binary", logistic().build().fit(b.x, Arrays.stream(b.y).map(v -> v % 2).toArray(), List.of("a", "b"))
                .info().get("multiClass"));
    }

    @Test
    void badSplitsAndSettingsAreRefusedWithTheValues() {
        float[][] x = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> logistic().build().fit(x, new int[]{1, 1, 1, 1}, LABELS));
        assertEquals("All 4 training examples are of the class 'green'; a classifier needs examples of at least two classes.",
                one.getMessage());
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                () -> logistic().optCrossValidation(GRID, 5).build().fit(x, new int[]{0, 1, 0, 1}, List.of("a", "b")));
        assertEquals("Cross-validation over 5 folds needs at least 5 training examples, but there are 4; use fewer folds or a single C.",
                few.getMessage());
        IllegalArgumentException svm = assertThrows(IllegalArgumentException.class,
                () -> LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LINEAR_SVM).optSolver(LinearHeadTrainer.Solver.LBFGS).build());
        assertTrue(svm.getMessage().contains("linear SVM is trained by liblinear"), svm.getMessage());
        IllegalArgumentException multinomial = assertThrows(IllegalArgumentException.class, () -> logistic()
                .optSolver(LinearHeadTrainer.Solver.LIBLINEAR).optMultiClass(LinearHeadTrainer.MultiClass.MULTINOMIAL).build());
        assertTrue(multinomial.getMessage().contains("one-vs-rest only"), multinomial.getMessage());
        assertThrows(IllegalArgumentException.class, () -> logistic().optThreads(0));
        assertThrows(IllegalArgumentException.class, () -> logistic().optMaxIterations(0));
    }

    @Test
    void lbfgsFindsTheMinimumOfRosenbrocksFunction() {
        Lbfgs.Result<DenseObjective.Point> r = new Lbfgs(500, 1e-10).minimize(DenseObjective.ROSENBROCK,
                DenseObjective.ROSENBROCK.at(new double[]{-1.2, 1}));
        assertTrue(r.converged(), r.stop());
        assertArrayEquals(new double[]{1, 1}, r.point().x(), 1e-6);
        assertEquals(2.0, WolfeLineSearch.cubicMinimum(0, 4, -4, 3, 1, 2), 1e-12, "(t-2)^2 sampled at 0 and 3");
    }

    /** A function of plain vectors for testing the minimiser: Rosenbrock's banana valley. */
    private static final class DenseObjective implements Lbfgs.Objective<double[], DenseObjective.Point> {
        static final DenseObjective ROSENBROCK = new DenseObjective();

        record Point(double[] x, double value, double[] gradient) implements Lbfgs.Point<double[]> {
        }

        Point at(double[] x) {
            double a = 1 - x[0];
            double b = x[1] - x[0] * x[0];
            return new Point(x, a * a + 100 * b * b, new double[]{-2 * a - 400 * x[0] * b, 200 * b});
        }

        @Override
        public double dot(double[] a, double[] b) {
            return Coefficients.dot(a, b);
        }

        @Override
        public double[] scaled(double a, double[] x) {
            return Coefficients.scale(a, x);
        }

        @Override
        public void addScaled(double a, double[] x, double[] y) {
            Coefficients.addScaled(a, x, y);
        }

        @Override
        public void scale(double a, double[] x) {
            Coefficients.scaleInPlace(a, x);
        }

        @Override
        public Lbfgs.Line<Point> line(Point from, double[] d) {
            return new Lbfgs.Line<>() {
                @Override
                public Lbfgs.Sample sample(double t) {
                    Point p = point(t);
                    return new Lbfgs.Sample(p.value(), dot(p.gradient(), d));
                }

                @Override
                public Point point(double t) {
                    return at(Coefficients.axpy(t, d, from.x()));
                }
            };
        }
    }
}
