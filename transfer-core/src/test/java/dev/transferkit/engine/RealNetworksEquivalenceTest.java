package dev.transferkit.engine;

import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real pretrained nsfwjs networks (TF.js models imported through DL4J's Keras import, NHWC, with zero padding,
 * depthwise convolutions, ReLU6, concatenations and a flatten preprocessor): the engine's class probabilities and
 * feature-layer activations equal DL4J's within 1e-4. Converted once into the TransferKit home (npm cache offline).
 */
class RealNetworksEquivalenceTest {
    private static final double TOLERANCE = 1e-4;

    private static void check(BaseModel model, int n, List<String> features) {
        Nd4j.getRandom().setSeed(17);
        INDArray x = Nd4j.rand(model.inputSpec().batchShape(n));
        Map<String, INDArray> acts = model.graph().feedForward(x, false); // these vertices feed no in-place layer
        for (String vertex : features) {
            InferenceEngine engine = InferenceEngine.compile(model.graph(), vertex, model.inputSpec(), EngineOptions.defaults());
            assertTrue(engine.report().fullyExported(), engine.report().toString());
            Close.assertClose(model.name() + " " + vertex, acts.get(vertex), engine.output(x), TOLERANCE);
        }
    }

    @Test
    void mobileNetV2() {
        check(NsfwjsSource.mobileNetV2().load(), 2, List.of("dense_3", "out_relu", "block_13_expand_relu", "flatten_1"));
    }

    @Test
    void inceptionV3() {
        check(NsfwjsSource.inceptionV3().load(), 1, List.of("dense_3", "mixed10", "mixed7"));
    }
}
