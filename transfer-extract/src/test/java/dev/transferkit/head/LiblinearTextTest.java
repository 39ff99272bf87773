package dev.transferkit.head;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * transfer-predict reads liblinear's model text without liblinear ({@link LiblinearFormat}); here, where liblinear is
 * on the classpath, the text liblinear itself writes reads back into the head that {@link LiblinearModels#toHead}
 * makes of the model, and both score as liblinear does.
 */
class LiblinearTextTest {
    @ParameterizedTest
    @CsvSource({"L2R_LR, 2", "L2R_LR, 3", "L1R_LR, 3", "L2R_L2LOSS_SVC_DUAL, 2", "L2R_L2LOSS_SVC_DUAL, 4", "MCSVM_CS, 3"})
    void liblinearsOwnModelTextReadsBackIntoTheSameHead(SolverType solver, int classes) throws IOException {
        Linear.disableDebugOutput();
        int dim = 6;
        Random r = new Random(classes * 31L + solver.ordinal());
        int n = 40 * classes;
        float[][] x = new float[n][dim];
        Feature[][] rows = new Feature[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            // The first example is of the last class, so liblinear lists its labels out of index order.
            int c = (classes - 1 + i) % classes;
            y[i] = c;
            double[] v = new double[dim];
            for (int j = 0; j < dim; j++) {
                x[i][j] = (float) ((j % classes == c ? 1.5 : 0) + r.nextGaussian());
                v[j] = x[i][j];
            }
            rows[i] = LiblinearModels.features(v, 1.0);
        }
        Problem p = new Problem();
        p.l = n;
        p.n = dim + 1;
        p.bias = 1.0;
        p.x = rows;
        p.y = y;
        Model model = Linear.train(p, new Parameter(solver, 0.7, 1e-4));
        List<String> labels = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            labels.add("class" + c);
        }
        StringWriter text = new StringWriter();
        Linear.saveModel(text, model);

        LinearHead read = LinearHead.fromModelText(text.toString(), labels, dim, Map.of("solver", solver.name()));
        LinearHead converted = LiblinearModels.toHead(model, labels, null, Map.of("solver", solver.name()));

        assertEquals(solver.isLogisticRegressionSolver(), read.probabilistic());
        int[] ids = model.getLabels();
        assertEquals(classes - 1, ids[0], "liblinear lists the first example's class first");
        for (int i = 0; i < n; i++) {
            double[] scores = read.scores(x[i]);
            assertArrayEquals(converted.scores(x[i]), scores, 0.0, "row " + i);
            assertEquals((int) Linear.predict(model, rows[i]), read.predict(x[i]), "row " + i);
            double[] liblinear = new double[classes];
            if (solver.isLogisticRegressionSolver()) {
                Linear.predictProbability(model, rows[i], liblinear);
            } else {
                Linear.predictValues(model, rows[i], liblinear);
            }
            int vectors = classes == 2 && solver != SolverType.MCSVM_CS ? 1 : classes;
            for (int k = 0; k < (solver.isLogisticRegressionSolver() ? classes : vectors); k++) {
                assertEquals(liblinear[k], scores[ids[k]], 1e-12, "row " + i + ", liblinear's label " + ids[k]);
            }
        }
    }
}
