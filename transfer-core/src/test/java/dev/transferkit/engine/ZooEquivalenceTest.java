package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.VGG16;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J zoo architectures with random weights: the engine's output and feature-layer activations equal DL4J's. Final
 * outputs (softmax) are compared absolutely; deep feature layers of random networks reach activations in the
 * thousands, so there the tolerance is 1e-4 relative to the largest activation.
 */
class ZooEquivalenceTest {
    private static final double TOLERANCE = 1e-4;

    private static INDArray batch(InputSpec spec, int n) {
        Nd4j.getRandom().setSeed(42);
        return Nd4j.rand(spec.batchShape(n));
    }

    private static void check(String name, ComputationGraph g, InputSpec spec, int n, List<String> features) {
        INDArray x = batch(spec, n);
        String out = g.getConfiguration().getNetworkOutputs().get(0);
        InferenceEngine engine = InferenceEngine.compile(g, out, spec, EngineOptions.defaults());
        assertTrue(engine.report().fullyExported(), engine.report().toString());
        Map<String, INDArray> acts = g.feedForward(x, false);
        Close.assertClose(name + " output", acts.get(out), engine.output(x), TOLERANCE);
        for (String f : features) {
            INDArray expected = acts.get(f);
            double scale = Math.max(1, expected.amaxNumber().doubleValue());
            Close.assertClose(name + " " + f, expected, InferenceEngine.compile(g, f, spec, EngineOptions.defaults()).output(x),
                    TOLERANCE * scale);
        }
    }

    @Test
    void vgg16() {
        ComputationGraph g = VGG16.builder().numClasses(10).build().init();
        check("VGG16", g, new InputSpec(224, 224, 3, DataFormat.NCHW), 1, List.of("17"));
    }

    @Test
    void resNet50() {
        ComputationGraph g = ResNet50.builder().numClasses(10).weightInit(WeightInit.RELU.getWeightInitFunction()).build().init();
        check("ResNet50", g, new InputSpec(224, 224, 3, DataFormat.NCHW), 1, List.of("res5c_branch", "res3a_branch"));
    }

    @Test
    void squeezeNet() {
        ComputationGraph g = SqueezeNet.builder().numClasses(10).build().init();
        check("SqueezeNet", g, new InputSpec(227, 227, 3, DataFormat.NCHW), 2, List.of("fire9"));
    }
}
