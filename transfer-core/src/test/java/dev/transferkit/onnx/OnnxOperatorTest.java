package dev.transferkit.onnx;

import onnx.Onnx;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.transferkit.onnx.TinyOnnx.f;
import static dev.transferkit.onnx.TinyOnnx.i;
import static dev.transferkit.onnx.TinyOnnx.in;
import static dev.transferkit.onnx.TinyOnnx.ints;
import static dev.transferkit.onnx.TinyOnnx.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-operator tests on small hand-built ONNX graphs: every tensor the DL4J graph computes (every ONNX node output
 * that became a vertex) must match ONNX Runtime's value for it within {@code 1e-5 + 1e-5 * |ort|}.
 */
class OnnxOperatorTest {

    /** Imports the model, runs both, compares every shared tensor; returns the graph. */
    static ComputationGraph assertMatchesOrt(Onnx.ModelProto model, int c, int h, int w) throws Exception {
        ComputationGraph net = OnnxGraphImporter.importGraph(model, c, h, w);
        Nd4j.getRandom().setSeed(7);
        INDArray input = Nd4j.randn(DataType.FLOAT, 2, c, h, w);
        Map<String, INDArray> dl4j = net.feedForward(input, false);
        List<String> tensors = new ArrayList<>();
        for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
            for (String out : n.getOutputList()) {
                if (dl4j.containsKey(out)) {
                    tensors.add(out);
                }
            }
        }
        assertFalse(tensors.isEmpty(), "no ONNX tensor has a vertex");
        Map<String, INDArray> ort = OrtReference.run(model, input, tensors);
        for (String t : tensors) {
            INDArray expected = ort.get(t);
            INDArray actual = dl4j.get(t).dup('c'); // DL4J may return a view whose strides its own ops misread
            assertArrayEquals(expected.shape(), actual.shape(), t + ": shape");
            INDArray excess = Transforms.abs(expected.sub(actual)).subi(Transforms.abs(expected).muli(1e-5).addi(1e-5));
            assertTrue(excess.maxNumber().doubleValue() <= 0, t + ": max |diff| "
                    + expected.sub(actual).amaxNumber() + " (largest |value| " + expected.amaxNumber() + ")");
        }
        return net;
    }

    private static long zeroPaddings(ComputationGraph net) {
        return net.getConfiguration().getVertices().values().stream().filter(v -> v instanceof LayerVertex
                && ((LayerVertex) v).getLayerConf().getLayer() instanceof ZeroPaddingLayer).count();
    }

    @Test
    void convolutionsWithAsymmetricPadsDilationsAndAutoPad() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 3, 9, 8);
        String a = m.node("Conv", "asym", in("x", m.random("w1", 0.5f, 4, 3, 3, 3), m.random("b1", 0.5f, 4)),
                ints("pads", 1, 0, 2, 1), ints("strides", 2, 1), ints("dilations", 2, 1));
        String b = m.node("Conv", "same_upper", in(a, m.random("w2", 0.5f, 5, 4, 3, 3)),
                s("auto_pad", "SAME_UPPER"), ints("strides", 2, 2));
        String c = m.node("Conv", "same_lower", in(b, m.random("w3", 0.5f, 4, 5, 2, 2), m.random("b3", 0.5f, 4)),
                s("auto_pad", "SAME_LOWER"));
        String d = m.node("Conv", "valid", in(c, m.random("w4", 0.5f, 3, 4, 2, 1)), s("auto_pad", "VALID"),
                ints("kernel_shape", 2, 1));
        ComputationGraph net = assertMatchesOrt(m.output(d).build(), 3, 9, 8);
        assertEquals(3, zeroPaddings(net), "asym, same_upper and same_lower pad asymmetrically");
    }

    @Test
    void depthwiseConvolutionWithMultiplier() throws Exception {
        TinyOnnx m = new TinyOnnx(11, "x", 3, 12, 11);
        String dw = m.node("Conv", "dw", in("x", m.random("w", 0.7f, 6, 1, 3, 3), m.random("b", 0.5f, 6)),
                i("group", 3), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2));
        String dw2 = m.node("Conv", "dw2", in(dw, m.random("w2", 0.7f, 6, 1, 3, 3)), i("group", 6),
                ints("pads", 0, 1, 2, 1));
        String pw = m.node("Conv", "pw", in(dw2, m.random("w3", 0.5f, 4, 6, 1, 1), m.random("b3", 0.5f, 4)));
        assertMatchesOrt(m.output(pw).build(), 3, 12, 11);
    }

    @Test
    void activationsIncludingOnnxHardSigmoidHardSwishAndClipForms() throws Exception {
        TinyOnnx m = new TinyOnnx(14, "x", 2, 5, 5);
        String relu6 = m.node("Clip", "relu6", in("x", m.constantScalar("zero", 0f), m.constantScalar("six", 6f)));
        String clip = m.node("Clip", "clip", in("x", m.floats("lo", new float[]{-0.5f}), m.floats("hi", new float[]{0.7f})));
        String upper = m.node("Clip", "upper_only", in("x", "", m.floats("hi2", new float[]{0.3f})));
        String hs = m.node("HardSigmoid", "hsig", in("x"), f("alpha", 0.3f), f("beta", 0.4f));
        String hsw = m.node("HardSwish", "hswish", in("x"));
        String sig = m.node("Sigmoid", "sig", in("x"));
        String relu = m.node("Relu", "relu", in("x"));
        String leaky = m.node("LeakyRelu", "leaky", in("x"), f("alpha", 0.2f));
        String tanh = m.node("Tanh", "tanh", in("x"));
        for (String o : new String[]{relu6, clip, upper, hs, hsw, sig, relu, leaky, tanh}) {
            m.output(o);
        }
        assertMatchesOrt(m.build(), 2, 5, 5);
    }

    @Test
    void clipBoundsAreAttributesBeforeOpset11() throws Exception {
        TinyOnnx m = new TinyOnnx(10, "x", 2, 4, 4);
        String relu6 = m.node("Clip", "relu6", in("x"), f("min", 0f), f("max", 6f));
        String clip = m.node("Clip", "clip", in("x"), f("min", -0.25f), f("max", 0.5f));
        assertMatchesOrt(m.output(relu6).output(clip).build(), 2, 4, 4);
    }

    @Test
    void squeezeAndExcitationAndSiluBroadcastMultiplies() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 4, 6, 6);
        String conv = m.node("Conv", "conv", in("x", m.random("w", 0.5f, 8, 4, 3, 3), m.random("b", 0.3f, 8)),
                ints("pads", 1, 1, 1, 1));
        String sig = m.node("Sigmoid", "sig", in(conv));
        String silu = m.node("Mul", "silu", in(conv, sig));
        String pooled = m.node("GlobalAveragePool", "squeeze", in(silu));
        String fc1 = m.node("Conv", "fc1", in(pooled, m.random("w1", 0.8f, 2, 8, 1, 1), m.random("b1", 0.3f, 2)));
        String r = m.node("Relu", "fc1_relu", in(fc1));
        String fc2 = m.node("Conv", "fc2", in(r, m.random("w2", 0.8f, 8, 2, 1, 1), m.random("b2", 0.3f, 8)));
        String gate = m.node("HardSigmoid", "gate", in(fc2), f("alpha", 1f / 6), f("beta", 0.5f));
        String scaled = m.node("Mul", "excite", in(gate, silu));
        String shifted = m.node("Add", "shift", in(scaled, fc2));
        String spatial = m.node("Mul", "spatial", in(shifted, m.node("Conv", "mask", in(shifted,
                m.random("wm", 0.5f, 1, 8, 1, 1)))));
        String half = m.node("Mul", "half", in(spatial, m.floats("k", new float[]{0.5f})));
        String plus = m.node("Add", "plus", in(m.floats("one", new float[]{1f}, 1), half));
        ComputationGraph net = assertMatchesOrt(m.output(plus).build(), 4, 6, 6);
        assertInstanceOf(BroadcastElementWiseVertex.class, net.getConfiguration().getVertices().get("excite"));
        assertArrayEquals(new long[]{2, 8, 1, 1}, net.feedForward(Nd4j.rand(DataType.FLOAT, 2, 4, 6, 6), false)
                .get("gate").shape(), "GlobalAveragePool keeps [N, C, 1, 1]");
    }

    @Test
    void poolingWithPadsCeilModeAndCountIncludePad() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 2, 8, 8);
        String avgIn = m.node("AveragePool", "avg_incl", in("x"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
                i("count_include_pad", 1));
        String avgEx = m.node("AveragePool", "avg_excl", in("x"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
                ints("strides", 2, 2));
        String avgSame = m.node("AveragePool", "avg_same", in("x"), ints("kernel_shape", 2, 2), ints("strides", 2, 2),
                s("auto_pad", "SAME_UPPER"));
        String avgAsym = m.node("AveragePool", "avg_asym", in("x"), ints("kernel_shape", 2, 2),
                ints("pads", 1, 0, 0, 1), i("count_include_pad", 1));
        String max = m.node("MaxPool", "max", in("x"), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
                ints("strides", 2, 2));
        String relu = m.node("Relu", "relu", in("x"));
        String maxCeil = m.node("MaxPool", "max_ceil", in(relu), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                i("ceil_mode", 1));
        String maxCeilNoop = m.node("MaxPool", "max_ceil_noop", in("x"), ints("kernel_shape", 2, 2),
                ints("strides", 2, 2), i("ceil_mode", 1));
        String gmax = m.node("GlobalMaxPool", "gmax", in("x"));
        for (String o : new String[]{avgIn, avgEx, avgSame, avgAsym, max, maxCeil, maxCeilNoop, gmax}) {
            m.output(o);
        }
        ComputationGraph net = assertMatchesOrt(m.build(), 2, 8, 8);
        assertArrayEquals(new long[]{2, 2, 4, 4}, net.output(Nd4j.rand(DataType.FLOAT, 2, 2, 8, 8))[5].shape(),
                "ceil_mode rounds 8 -> 3.5 up");
        assertEquals(2, zeroPaddings(net), "avg_asym and max_ceil zero-pad");
    }

    @Test
    void classifierHeadsGemmMatMulBatchNormDropoutSoftmax() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 3, 4, 4);
        String bn = m.node("BatchNormalization", "bn", in("x", m.random("g", 1f, 3), m.random("beta", 1f, 3),
                m.random("mean", 1f, 3), m.floats("var", new float[]{0.5f, 1.5f, 2f}, 3)), f("epsilon", 1e-3f));
        String pooled = m.node("GlobalAveragePool", "gap", in(bn));
        String flat = m.node("Flatten", "flat", in(pooled));
        String gemm = m.node("Gemm", "gemm", in(flat, m.random("wg", 1f, 3, 5), m.random("bg", 1f, 5)),
                f("alpha", 0.5f), f("beta", 2f));
        String bn1d = m.node("BatchNormalization", "bn1d", in(gemm, m.random("g2", 1f, 5), m.random("b2", 1f, 5),
                m.random("m2", 1f, 5), m.floats("v2", new float[]{1f, 2f, 3f, 0.5f, 0.25f}, 5)));
        String mm = m.node("MatMul", "matmul", in(bn1d, m.random("wm", 1f, 5, 4)));
        String biased = m.node("Add", "biased", in(mm, m.floatData("bm", new float[]{0.1f, -0.2f, 0.3f, 0.4f}, 4)));
        String drop = m.node("Dropout", "drop", in(biased, m.floats("ratio", new float[]{0.3f})));
        String soft = m.node("Softmax", "soft", in(drop));
        String reshaped = m.node("Reshape", "reshaped", in("x", m.int64s("shape", 0, -1)));
        String gemmT = m.node("Gemm", "gemm_t", in(reshaped, m.random("wt", 0.3f, 2, 48)), i("transB", 1));
        ComputationGraph net = assertMatchesOrt(m.output(soft).output(gemmT).build(), 3, 4, 4);
        assertFalse(net.getConfiguration().getVertices().containsKey("matmul"), "MatMul and its bias Add are one layer");
    }

    @Test
    void concatPadIdentityAndConstantNodes() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 2, 5, 5);
        String a = m.node("Conv", "a", in("x", m.random("wa", 0.5f, 3, 2, 1, 1)));
        String b = m.node("Relu", "b", in("x"));
        String id = m.node("Identity", "id", in(b));
        String cat = m.node("Concat", "cat", in(a, id, "x"), i("axis", 1));
        String pad = m.node("Pad", "pad", in(cat, m.int64s("pads", 0, 0, 1, 2, 0, 0, 0, 1)));
        String single = m.node("Concat", "single", in(pad), i("axis", -3));
        String wConst = m.node("Identity", "w_alias", in(m.random("wc", 0.5f, 2, 7, 3, 3)));
        String conv = m.node("Conv", "conv", in(single, wConst));
        assertMatchesOrt(m.output(conv).build(), 2, 5, 5);
    }

    @Test
    void unsupportedOperatorNamesOperatorNodeAndInputs() {
        TinyOnnx m = new TinyOnnx(13, "x", 2, 4, 4);
        String r = m.node("Relu", "r", in("x"));
        m.node("Resize", "up", in(r, "", m.floats("scales", new float[]{1, 1, 2, 2}, 4)));
        OnnxImportException e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m.output("up").build(), 2, 4, 4));
        assertEquals("The Resize node 'up_node' (inputs: r, , scales) cannot be imported: the operator Resize is not "
                + "supported; the supported operators are Add, AveragePool, BatchNormalization, Clip, Concat, "
                + "Constant, Conv, Dropout, Flatten, Gemm, GlobalAveragePool, GlobalMaxPool, HardSigmoid, HardSwish, "
                + "Identity, LeakyRelu, MatMul, MaxPool, Mul, Pad, Relu, Reshape, Sigmoid, Softmax, Tanh.", e.getMessage());
    }

    @Test
    void groupedConvolutionIsRefused() {
        TinyOnnx m = new TinyOnnx(13, "x", 4, 4, 4);
        m.node("Conv", "grouped", in("x", m.random("w", 1f, 4, 2, 3, 3)), i("group", 2));
        OnnxImportException e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m.output("grouped").build(), 4, 4, 4));
        assertEquals("The Conv node 'grouped_node' (inputs: x, w) cannot be imported: group = 2 with 4 input channels "
                + "is a grouped convolution; only group = 1 and depthwise convolutions (group = input channels) are "
                + "supported.", e.getMessage());
    }

    @Test
    void inexpressiblePaddingAndConstantsAreRefused() {
        TinyOnnx m = new TinyOnnx(13, "x", 2, 8, 8);
        m.node("MaxPool", "max_ceil", in("x"), ints("kernel_shape", 3, 3), ints("strides", 2, 2), i("ceil_mode", 1));
        OnnxImportException e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m.output("max_ceil").build(), 2, 8, 8));
        assertTrue(e.getMessage().startsWith("The MaxPool node 'max_ceil_node' (inputs: x) cannot be imported: its "
                + "padding (top 0, bottom 0, left 0, right 0, ceil_mode = 1)"), e.getMessage());

        TinyOnnx m2 = new TinyOnnx(13, "x", 2, 4, 4);
        m2.node("Mul", "scaled", in("x", m2.random("per_channel", 1f, 1, 2, 1, 1)));
        e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m2.output("scaled").build(), 2, 4, 4));
        assertTrue(e.getMessage().startsWith("The Mul node 'scaled_node' (inputs: x, per_channel) cannot be imported: "
                + "its input 1 is a constant of shape [1, 2, 1, 1]"), e.getMessage());

        TinyOnnx m3 = new TinyOnnx(18, "x", 2, 4, 4);
        m3.node("Relu", "r", in("x"));
        e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m3.output("r").build(), 2, 4, 4));
        assertTrue(e.getMessage().contains("version 18"), e.getMessage());

        TinyOnnx m5 = new TinyOnnx(13, "x", 2, 8, 8);
        m5.node("MaxPool", "max_dilated", in("x"), ints("kernel_shape", 2, 2), ints("dilations", 2, 2));
        e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m5.output("max_dilated").build(), 2, 8, 8));
        assertTrue(e.getMessage().contains("dilations = [2, 2] are not supported"), e.getMessage());

        TinyOnnx m6 = new TinyOnnx(13, "x", 2, 8, 8);
        m6.node("Conv", "dw_dilated", in("x", m6.random("w", 1f, 2, 1, 3, 3)), i("group", 2), ints("dilations", 2, 2));
        e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m6.output("dw_dilated").build(), 2, 8, 8));
        assertTrue(e.getMessage().contains("dilations = [2, 2] on a depthwise convolution"), e.getMessage());

        TinyOnnx m4 = new TinyOnnx(13, "x", 2, 4, 4);
        m4.node("Relu", "r", in("x"));
        e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImportException.class,
                () -> OnnxGraphImporter.importGraph(m4.output("r").build(), 3, 4, 4));
        assertEquals("The ONNX graph input 'x' has size 2 in dimension 1 but the requested input shape is [3, 4, 4] "
                + "(channels, height, width).", e.getMessage());
    }
}
