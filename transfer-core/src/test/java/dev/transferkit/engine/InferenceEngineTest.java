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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's ONNX Runtime output equals DL4J's on small networks covering every exported layer, in both layouts. */
class InferenceEngineTest {
    private static final double TOLERANCE = 1e-4;

    private static INDArray batch(InputSpec spec, int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(spec.batchShape(n)).subi(0.3);
    }

    @ParameterizedTest
    @EnumSource(DataFormat.class)
    void everyVertexOfTheAllLayersNetworkEqualsDl4j(DataFormat networkFormat) {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.valueOf(networkFormat.name()), 11);
        InputSpec spec = new InputSpec(16, 16, 3, networkFormat);
        INDArray x = batch(spec, 3, 5);
        for (String vertex : List.of("out", "drop", "features", "merge", "conv_1x1", "bn_solo", "crop", "bn_dw", "act_dw",
                "relu_a", "bn_a", "conv_a", "conv_s", "pad", "pool_avg", "pool_max", "add", "max", "sep", "lrn", "dilated",
                "gsum", "scaled")) {
            INDArray expected = EngineNetworks.dl4j(g, vertex, x);
            try (InferenceEngine engine = InferenceEngine.compile(g, vertex, spec, EngineOptions.defaults())) {
                Close.assertClose(networkFormat + " network, vertex " + vertex, expected, engine.output(x), TOLERANCE);
                assertTrue(engine.report().fullyExported(), engine.report().toString());
                assertEquals(1, engine.stages(), engine.toString());
            }
        }
    }

    @Test
    void severalVerticesComeFromOnePass() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NHWC, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NHWC);
        INDArray x = batch(spec, 2, 6);
        List<String> vertices = List.of("bn_a", "merge", "features", "out", "in");
        try (InferenceEngine engine = InferenceEngine.compile(g, vertices, spec, EngineOptions.defaults())) {
            Map<String, INDArray> out = engine.outputs(x);
            assertEquals(vertices, List.copyOf(out.keySet()));
            for (String v : vertices.subList(0, 4)) {
                Close.assertClose("vertex " + v, EngineNetworks.dl4j(g, v, x), out.get(v), TOLERANCE);
            }
            Close.assertClose("the input itself", x, out.get("in"), 0);
            out.get("in").assign(7);
            Close.assertClose("the caller's batch is untouched", batch(spec, 2, 6), x, 0);
        }
    }

    @Test
    void theReportNamesWhatEachVertexBecame() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NCHW, 11);
        try (InferenceEngine engine = InferenceEngine.compile(g, "out", new InputSpec(16, 16, 3, DataFormat.NCHW),
                EngineOptions.defaults())) {
            EngineReport report = engine.report();
            assertEquals(EngineReport.Treatment.ONNX, entry(report, "bn_a").treatment());
            assertEquals(EngineReport.Treatment.ONNX, entry(report, "conv_a").treatment());
            assertEquals(EngineReport.Treatment.IDENTITY, entry(report, "drop").treatment());
            assertTrue(report.flopsPerImage() > 0);
            assertTrue(report.toString().contains("fallback=0"), report.toString());
        }
    }

    @Test
    void unexportableLayersFallBackToDl4jBetweenOnnxSegmentsAndAreReported() {
        ComputationGraph g = EngineNetworks.withUnsupportedLayers();
        InputSpec spec = new InputSpec(12, 12, 3, DataFormat.NCHW);
        INDArray x = batch(spec, 2, 1);
        try (InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.defaults())) {
            List<String> fallbacks = engine.report().fallbacks().stream().map(EngineReport.Entry::vertex).toList();
            assertEquals(List.of("pnorm"), fallbacks);
            assertFalse(engine.report().fullyExported());
            assertEquals(3, engine.stages(), engine.toString()); // ONNX, DL4J, ONNX
            assertTrue(engine.report().toString().contains("fallback: pnorm (SubsamplingLayer)"), engine.report().toString());
            Close.assertClose("out", g.outputSingle(false, x), engine.output(x), TOLERANCE);
        }
        for (String v : List.of("lrn", "conv2", "dilated")) {
            try (InferenceEngine engine = InferenceEngine.compile(g, v, spec, EngineOptions.defaults())) {
                Close.assertClose(v, EngineNetworks.dl4j(g, v, x), engine.output(x), TOLERANCE);
            }
        }
    }

    @Test
    void withoutFallbackAnUnexportableLayerFailsNamingIt() {
        EngineOptions strict = EngineOptions.builder().optAllowFallback(false).build();
        EngineException e = assertThrows(EngineException.class, () -> InferenceEngine.compile(
                EngineNetworks.withUnsupportedLayers(), "out", new InputSpec(12, 12, 3, DataFormat.NCHW), strict));
        assertTrue(e.getMessage().contains("'pnorm'") && e.getMessage().contains("SubsamplingLayer")
                && e.getMessage().contains("PNORM"), e.getMessage());
    }

    @Test
    void batchesOfOtherSizesAndRepeatedBatchesGiveTheSameResultsInTheCallersOwnArrays() {
        ComputationGraph g = TinyNetworks.convNet(3, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        try (InferenceEngine engine = InferenceEngine.compile(g, "conv2", spec, EngineOptions.defaults())) {
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
        }
    }

    @Test
    void aDoublePrecisionNetworkGetsResultsInDoublePrecision() {
        ComputationGraph g = TinyNetworks.convNet(3, 4).convertDataType(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        INDArray x = batch(spec, 2, 4).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        try (InferenceEngine engine = InferenceEngine.compile(g, "out", spec, EngineOptions.defaults())) {
            INDArray y = engine.output(x);
            assertEquals(org.nd4j.linalg.api.buffer.DataType.DOUBLE, y.dataType());
            Close.assertClose("double network", g.outputSingle(false, x), y, TOLERANCE);
        }
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
        EngineException rank = assertThrows(EngineException.class, () -> engine.output(Nd4j.rand(3, 16, 16)));
        assertTrue(rank.getMessage().contains("[3, 16, 16]"), rank.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineOptions.builder().optThreads(-1));
        assertThrows(IllegalArgumentException.class, () -> EngineOptions.builder().optCudaDevice(-2));
        engine.close();
        EngineException closed = assertThrows(EngineException.class, () -> engine.output(batch(spec, 1, 1)));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    @Test
    void sessionOptionsAreAppliedAndShown() {
        ComputationGraph g = TinyNetworks.convNet(3, 4);
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        INDArray x = batch(spec, 2, 3);
        INDArray expected = g.outputSingle(false, x);
        for (EngineOptions.Optimization level : EngineOptions.Optimization.values()) {
            EngineOptions options = EngineOptions.builder().optThreads(1).optOptimization(level).optArena(false).build();
            try (InferenceEngine engine = InferenceEngine.compile(g, "out", spec, options)) {
                Close.assertClose("optimization " + level, expected, engine.output(x), TOLERANCE);
                assertTrue(engine.toString().contains("outputs=[out]") && engine.toString().contains("threads=1")
                        && engine.toString().contains("optimization=" + level), engine.toString());
            }
        }
    }

    @Test
    void frozenLayersAndVerticesOfTransferLearningAreExported() {
        ComputationGraph g = EngineNetworks.allLayers(CNN2DFormat.NCHW, 7); // DL4J's own copy loses NHWC merge axes
        ComputationGraph frozen = new org.deeplearning4j.nn.transferlearning.TransferLearning.GraphBuilder(g)
                .setFeatureExtractor("merge").build(); // freezes the add and max vertices too (FrozenVertex)
        InputSpec spec = new InputSpec(16, 16, 3, DataFormat.NCHW);
        INDArray x = batch(spec, 2, 12);
        try (InferenceEngine engine = InferenceEngine.compile(frozen, "out", spec, EngineOptions.defaults())) {
            assertTrue(engine.report().fullyExported(), engine.report().toString());
            Close.assertClose("frozen network", frozen.outputSingle(false, x), engine.output(x), TOLERANCE);
        }
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
        assertTrue(engine.report().fullyExported(), engine.report().toString());
        Close.assertClose("MultiLayerNetwork output", net.output(x), engine.output(x), TOLERANCE);
    }

    private static EngineReport.Entry entry(EngineReport report, String vertex) {
        return report.entries().stream().filter(e -> e.vertex().equals(vertex)).findFirst()
                .orElseThrow(() -> new AssertionError("no report entry for " + vertex + " in " + report.entries()));
    }
}
