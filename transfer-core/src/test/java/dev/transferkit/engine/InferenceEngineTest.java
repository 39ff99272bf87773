package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.model.TinyNetworks;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's output equals DL4J's on small networks covering every compiled layer, in both layouts. */
class InferenceEngineTest {
    private static final double TOLERANCE = 1e-4;
    private static final EngineOptions NCHW = EngineOptions.builder().optLayout(DataFormat.NCHW).build();

    private static INDArray batch(InputSpec spec, int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(spec.batchShape(n)).subi(0.3);
    }

    @ParameterizedTest
    @EnumSource(DataFormat.class)
    void everyVertexOfTheAllLayersNetworkEqualsDl4jInBothEngineLayouts(DataFormat networkFormat) {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.valueOf(networkFormat.name()), 11);
        InputSpec spec = new InputSpec(16, 16, 3, networkFormat);
        INDArray x = batch(spec, 3, 5);
        for (String vertex : List.of("out", "drop", "features", "merge", "conv_1x1", "bn_solo", "crop", "bn_dw", "act_dw",
                "relu_a", "bn_a", "conv_a", "conv_s", "pad", "pool_avg", "pool_max", "add", "max")) {
            INDArray expected = EngineNetworks.dl4j(g, vertex, x);
            for (EngineOptions options : List.of(EngineOptions.defaults(), NCHW)) {
                InferenceEngine engine = InferenceEngine.compile(g, vertex, spec, options);
                Close.assertClose(networkFormat + " network, engine " + options.layout() + ", vertex " + vertex,
                        expected, engine.output(x), TOLERANCE);
                assertTrue(engine.report().fullyNative(), engine.report().toString());
            }
        }
    }

    @Test
    void foldsBatchNormAndActivationsIntoConvolutions() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NCHW, 11);
        EngineReport report = InferenceEngine.compile(g, "out", new InputSpec(16, 16, 3, DataFormat.NCHW),
                EngineOptions.defaults()).report();
        assertEquals(EngineReport.Treatment.FUSED, entry(report, "bn_a").treatment());
        assertEquals("into conv_a", entry(report, "relu_a").detail());
        assertEquals("into dw", entry(report, "bn_dw").detail());
        assertEquals(EngineReport.Treatment.NATIVE, entry(report, "bn_solo").treatment()); // after cropping: not foldable
        assertEquals(EngineReport.Treatment.IDENTITY, entry(report, "drop").treatment());
        assertTrue(report.flopsPerImage() > 0);
    }

    @Test
    void aFoldedBatchNormThatIsTheOutputIsStillComputed() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NHWC, 2);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NHWC);
        INDArray x = batch(spec, 2, 9);
        InferenceEngine engine = InferenceEngine.compile(g, "bn_a", spec, EngineOptions.defaults());
        assertEquals(EngineReport.Treatment.FUSED, entry(engine.report(), "bn_a").treatment());
        Close.assertClose("bn_a", EngineNetworks.dl4j(g, "bn_a", x), engine.output(x), TOLERANCE);
    }

    @Test
    void unsupportedLayersFallBackToDl4jAndAreReported() {
        ComputationGraph g = EngineNetworks.withUnsupportedLayers();
        InputSpec spec = new InputSpec(12, 12, 3, DataFormat.NCHW);
        INDArray x = batch(spec, 2, 1);
        InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.defaults());
        List<String> fallbacks = engine.report().fallbacks().stream().map(EngineReport.Entry::vertex).toList();
        assertEquals(List.of("lrn", "pnorm", "dilated"), fallbacks);
        assertFalse(engine.report().fullyNative());
        assertTrue(engine.report().toString().contains("fallback: lrn (LocalResponseNormalization)"), engine.report().toString());
        Close.assertClose("out", g.outputSingle(false, x), engine.output(x), TOLERANCE);
        Close.assertClose("conv2", EngineNetworks.dl4j(g, "conv2", x),
                InferenceEngine.compile(g, "conv2", spec, EngineOptions.defaults()).output(x), TOLERANCE);
    }

    @Test
    void withoutFallbackAnUnsupportedLayerFailsNamingIt() {
        EngineOptions strict = EngineOptions.builder().optAllowFallback(false).build();
        EngineException e = assertThrows(EngineException.class, () -> InferenceEngine.compile(
                EngineNetworks.withUnsupportedLayers(), "out", new InputSpec(12, 12, 3, DataFormat.NCHW), strict));
        assertTrue(e.getMessage().contains("'lrn'") && e.getMessage().contains("LocalResponseNormalization"), e.getMessage());
    }

    @Test
    void buffersAreReusedAcrossBatchesAndBatchSizesWithoutChangingResults() {
        ComputationGraph g = TinyNetworks.convNet(3, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        InferenceEngine engine = InferenceEngine.compile(g, "conv2", spec, EngineOptions.defaults());
        INDArray a = batch(spec, 4, 1);
        INDArray b = batch(spec, 1, 2);
        INDArray first = engine.output(a);
        INDArray expectedA = g.feedForward(a, false).get("conv2");
        Close.assertClose("first batch", expectedA, first, TOLERANCE);
        Close.assertClose("other batch size", g.feedForward(b, false).get("conv2"), engine.output(b), TOLERANCE);
        INDArray again = engine.output(a);
        Close.assertClose("same batch again", expectedA, again, TOLERANCE);
        Close.assertClose("earlier result kept", expectedA, first, TOLERANCE);
        again.assign(0); // the result is the caller's own array
        Close.assertClose("after the caller changed a result", expectedA, engine.output(a), TOLERANCE);
        assertTrue(engine.bufferBytes() > 0);
        engine.releaseBuffers();
        assertEquals(0, engine.bufferBytes());
        Close.assertClose("after releasing the buffers", expectedA, engine.output(a), TOLERANCE);
    }

    @Test
    void aChainOfLayersReusesAFewBlocks() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NHWC, 3);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NHWC);
        InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.defaults());
        engine.output(batch(spec, 2, 1));
        // 20 steps write activations; liveness-based reuse keeps only a handful of blocks.
        assertTrue(engine.steps() >= 15, engine.toString());
        long largest = 2L * 19 * 17 * 8 * 4; // the padded 19x17x8 activations, the largest of the network, in bytes
        assertTrue(engine.bufferBytes() <= 6 * largest, "buffers " + engine.bufferBytes() + " bytes");
    }

    @Test
    void invalidInputsGetSpecificMessages() {
        ComputationGraph g = TinyNetworks.convNet(3, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        EngineException noVertex = assertThrows(EngineException.class,
                () -> InferenceEngine.compile(g, "conv9", spec, EngineOptions.defaults()));
        assertTrue(noVertex.getMessage().contains("'conv9'") && noVertex.getMessage().contains("conv2"), noVertex.getMessage());
        InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.defaults());
        EngineException shape = assertThrows(EngineException.class, () -> engine.output(Nd4j.rand(2, 16, 16, 3)));
        assertTrue(shape.getMessage().contains("[2, 16, 16, 3]") && shape.getMessage().contains("[2, 3, 16, 16]"),
                shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineOptions.builder().optThreads(-1));
        assertThrows(IllegalArgumentException.class, () -> engine.profile(batch(spec, 1, 1), 0));
    }

    @Test
    void profileListsEveryStepAndToStringShowsTheConfiguration() {
        ComputationGraph g = TinyNetworks.convNet(3, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.builder().optThreads(2).build());
        String profile = engine.profile(batch(spec, 2, 3), 2);
        for (String v : List.of("conv1", "conv2", "gap", "out")) {
            assertTrue(profile.contains(v), profile);
        }
        assertTrue(engine.toString().contains("output=out") && engine.toString().contains("threads=2"), engine.toString());
        assertEquals(2, Nd4j.getEnvironment().maxThreads());
    }

    @Test
    void aMultiLayerNetworkIsCompiledThroughItsGraphForm() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).weightInit(WeightInit.RELU)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(10).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(10, 10, 2))
                .build());
        net.init();
        InputSpec spec = new InputSpec(10, 10, 2, DataFormat.NCHW);
        INDArray x = batch(spec, 3, 8);
        InferenceEngine engine = InferenceEngine.compile(net, spec, EngineOptions.defaults());
        assertTrue(engine.report().fullyNative(), engine.report().toString());
        Close.assertClose("MultiLayerNetwork output", net.output(x), engine.output(x), TOLERANCE);
    }

    private static EngineReport.Entry entry(EngineReport report, String vertex) {
        return report.entries().stream().filter(e -> e.vertex().equals(vertex)).findFirst()
                .orElseThrow(() -> new AssertionError("no report entry for " + vertex + " in " + report.entries()));
    }
}
