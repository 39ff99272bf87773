package dev.transferkit.onnx;

import onnx.Onnx;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static dev.transferkit.onnx.TinyOnnx.f;
import static dev.transferkit.onnx.TinyOnnx.i;
import static dev.transferkit.onnx.TinyOnnx.in;
import static dev.transferkit.onnx.TinyOnnx.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What fine-tuning and saving need from an imported graph: its custom vertex, layer and activations survive
 * {@code ModelSerializer}; gradients through them are right (DL4J's numerical gradient check); DL4J's transfer-learning
 * API freezes a prefix up to a named ONNX tensor and trains the rest.
 */
class OnnxFineTuneTest {

    /** A small MobileNetV3/EfficientNet-like graph with every custom piece of the import. */
    static Onnx.ModelProto customPiecesModel() {
        TinyOnnx m = new TinyOnnx(14, "image", 3, 8, 8);
        String conv = m.node("Conv", "stem", in("image", m.random("w0", 0.5f, 6, 3, 3, 3), m.random("b0", 0.3f, 6)),
                ints("pads", 1, 1, 1, 1), ints("strides", 2, 2));
        String bn = m.node("BatchNormalization", "stem_bn", in(conv, m.random("g", 0.2f, 6), m.random("bb", 0.3f, 6),
                m.random("mean", 0.2f, 6), m.floats("var", new float[]{1, 1.5f, 0.8f, 1.2f, 0.9f, 1.1f}, 6)));
        String act = m.node("HardSwish", "stem_act", in(bn));
        String dw = m.node("Conv", "dw", in(act, m.random("w1", 0.5f, 6, 1, 3, 3), m.random("b1", 0.3f, 6)),
                i("group", 6), ints("pads", 1, 1, 1, 1));
        String clip = m.node("Clip", "dw_clip", in(dw, m.floats("lo", new float[]{-1.5f}), m.floats("hi", new float[]{1.5f})));
        String pooled = m.node("GlobalAveragePool", "se_pool", in(clip));
        String fc = m.node("Conv", "se_fc", in(pooled, m.random("w2", 0.8f, 6, 6, 1, 1), m.random("b2", 0.3f, 6)));
        String gate = m.node("HardSigmoid", "se_gate", in(fc), f("alpha", 0.25f), f("beta", 0.45f));
        String excited = m.node("Mul", "se_mul", in(clip, gate));
        String sig = m.node("Sigmoid", "silu_sig", in(excited));
        String silu = m.node("Mul", "features", in(excited, sig));
        String bias = m.node("Add", "biased", in(silu, m.node("Conv", "channel_bias", in(pooled,
                m.random("w3", 0.5f, 6, 6, 1, 1)))));
        String head = m.node("GlobalAveragePool", "head_pool", in(bias));
        String flat = m.node("Flatten", "flat", in(head));
        String logits = m.node("Gemm", "logits", in(flat, m.random("w4", 0.8f, 4, 6), m.random("b4", 0.3f, 4)),
                i("transB", 1));
        return m.output(logits).build();
    }

    @Test
    void saveAndLoadKeepsCustomPiecesAndOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = OnnxGraphImporter.importGraph(customPiecesModel(), 3, 8, 8);
        INDArray input = Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8).subi(0.5).muli(4);
        INDArray expected = net.outputSingle(input);
        File file = dir.resolve("imported.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph loaded = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(expected, loaded.outputSingle(input), "outputs after save and load");
        assertEquals(net.params(), loaded.params());
        assertInstanceOf(BroadcastElementWiseVertex.class, loaded.getConfiguration().getVertices().get("se_mul"));
        assertEquals(new ActivationOnnxHardSigmoid(0.25f, 0.45f), activation(loaded, "se_gate"));
        assertInstanceOf(ActivationOnnxHardSwish.class, activation(loaded, "stem_act"));
        assertEquals(new ActivationClip(-1.5, 1.5), activation(loaded, "dw_clip"));
        assertInstanceOf(OnnxActivationLayer.class, layerConf(loaded, "silu_sig"));
        assertEquals(net.getConfiguration().toJson(), loaded.getConfiguration().toJson());
    }

    @Test
    void unboundedClipSurvivesJson() {
        ActivationClip clip = new ActivationClip(Double.NEGATIVE_INFINITY, 0.3f);
        TinyOnnx m = new TinyOnnx(13, "x", 2, 3, 3);
        m.node("Clip", "c", in("x", "", m.floats("hi", new float[]{0.3f})));
        ComputationGraph net = OnnxGraphImporter.importGraph(m.output("c").build(), 2, 3, 3);
        assertEquals(clip, activation(net, "c"));
        String json = net.getConfiguration().toJson();
        assertEquals(clip, ((OnnxActivationLayer) ((LayerVertex) org.deeplearning4j.nn.conf.ComputationGraphConfiguration
                .fromJson(json).getVertices().get("c")).getLayerConf().getLayer()).getActivationFn());
    }

    @Test
    void gradientsThroughCustomPiecesPassNumericalCheck() {
        DataType before = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraph imported = OnnxGraphImporter.importGraph(customPiecesModel(), 3, 8, 8);
            ComputationGraph net = new TransferLearning.GraphBuilder(imported)
                    .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new NoOp()).build())
                    .addLayer("loss", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(4)
                            .activation(Activation.IDENTITY).build(), "logits")
                    .setOutputs("loss").build().convertDataType(DataType.DOUBLE);
            Nd4j.getRandom().setSeed(3);
            INDArray input = Nd4j.rand(DataType.DOUBLE, 3, 3, 8, 8).subi(0.5).muli(4);
            INDArray labels = Nd4j.rand(DataType.DOUBLE, 3, 4);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                    .inputs(new INDArray[]{input}).labels(new INDArray[]{labels}).epsilon(1e-6).maxRelError(1e-3)
                    .subset(true).maxPerParam(8)
                    .minAbsoluteError(1e-8).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                    // DL4J reports the running-statistics update as their "gradient"; they are not trained by backprop
                    .excludeParams(Set.of("stem_bn_mean", "stem_bn_var")));
            assertTrue(ok, "DL4J's gradient check failed; set -Dorg.slf4j.simpleLogger.log.org.deeplearning4j"
                    + ".gradientcheck=info to see the parameter");
        } finally {
            Nd4j.setDefaultDataTypes(before, before);
        }
    }

    @Test
    void transferLearningFreezesUpToANamedOnnxTensorAndTrainsTheRest() {
        ComputationGraph imported = OnnxGraphImporter.importGraph(customPiecesModel(), 3, 8, 8);
        ComputationGraph net = new TransferLearning.GraphBuilder(imported)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Sgd(0.1)).build())
                .setFeatureExtractor("features")
                .removeVertexAndConnections("logits")
                .addLayer("logits", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "flat")
                .setOutputs("logits").build();
        Set<String> frozen = new HashSet<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l instanceof org.deeplearning4j.nn.layers.FrozenLayer
                    || l instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) {
                frozen.add(l.conf().getLayer().getLayerName());
            }
        }
        assertTrue(frozen.containsAll(Set.of("stem", "stem_bn", "dw", "se_fc")), "frozen: " + frozen);
        INDArray stemBefore = net.getLayer("stem").params().dup();
        INDArray biasBefore = net.getLayer("channel_bias").params().dup();
        INDArray input = Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8);
        INDArray labels = Nd4j.eye(3).getRows(0, 1, 2, 0).castTo(DataType.FLOAT);
        net.fit(new MultiDataSet(input, labels));
        assertEquals(stemBefore, net.getLayer("stem").params(), "a frozen layer changed");
        assertNotEquals(biasBefore, net.getLayer("channel_bias").params(), "a layer after the feature extractor is trained");
    }

    private static org.deeplearning4j.nn.conf.layers.Layer layerConf(ComputationGraph net, String vertex) {
        GraphVertex v = net.getConfiguration().getVertices().get(vertex);
        return ((LayerVertex) v).getLayerConf().getLayer();
    }

    private static IActivation activation(ComputationGraph net, String vertex) {
        return ((OnnxActivationLayer) layerConf(net, vertex)).getActivationFn();
    }
}
