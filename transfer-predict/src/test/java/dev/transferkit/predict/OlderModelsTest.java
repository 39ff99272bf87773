package dev.transferkit.predict;

import dev.transferkit.image.ResizePolicy;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A base-model zip and a predictor zip saved by TransferKit at commit 76db5ab (metadata version 1, liblinear head)
 * load and compute what they computed then: {@code models-v1-expected.txt} holds the input and that version's outputs
 * as float bits, written by the same program that saved the zips.
 */
class OlderModelsTest {
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures/v1");

    @Test
    void aBaseModelSavedByTheFirstVersionLoadsAndComputesTheSame() throws Exception {
        Map<String, INDArray> expected = expected();
        BaseModel base = BaseModel.load(FIXTURES.resolve("basemodel-v1.zip"));
        assertEquals(List.of("apple", "bread", "cheese"), base.labels());
        assertEquals(List.of("conv2", "conv1"), base.featureLayers());
        assertTrue(expected.get("basemodel.output").equalsWithEps(base.output(expected.get("input")), 1e-5));
    }

    @Test
    void aPredictorSavedByTheFirstVersionLoadsWithItsImageOptionsAndScoresTheSame() throws Exception {
        Map<String, INDArray> expected = expected();
        TransferModel p = TransferModel.load(FIXTURES.resolve("predictor-v1.zip"));
        assertEquals(ResizePolicy.CENTER_CROP, p.imageOptions().resize());
        assertEquals(new Color(10, 20, 30), p.imageOptions().background());
        assertEquals(List.of("cats", "dogs"), p.labels());
        List<Classification> cs = p.classify(expected.get("input"), List.of(Path.of("a.png"), Path.of("b.png")));
        float[] scores = new float[4];
        for (int i = 0; i < 2; i++) {
            for (Prediction pr : cs.get(i).ranked()) {
                scores[i * 2 + pr.index()] = (float) pr.probability();
            }
        }
        assertTrue(expected.get("predictor.scores").equalsWithEps(Nd4j.create(scores, new long[]{2, 2}, 'c'), 1e-5),
                Arrays.toString(scores) + " vs " + expected.get("predictor.scores"));
    }

    /** Parses {@code name [shape] bits,bits,...} lines. */
    private static Map<String, INDArray> expected() throws Exception {
        Map<String, INDArray> out = new HashMap<>();
        for (String line : Files.readAllLines(FIXTURES.resolve("models-v1-expected.txt"))) {
            String[] parts = line.split(" ");
            long[] shape = Arrays.stream(parts[1].replaceAll("[\\[\\]]", "").split(",")).mapToLong(Long::parseLong).toArray();
            String[] bits = parts[2].split(",");
            float[] v = new float[bits.length];
            for (int i = 0; i < bits.length; i++) {
                v[i] = Float.intBitsToFloat(Integer.parseInt(bits[i]));
            }
            out.put(parts[0], Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT));
        }
        return out;
    }
}
