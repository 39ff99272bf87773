package dev.transferkit.onnx;

import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Builds small ONNX models for the per-operator tests: one NCHW float input, random float initialisers. */
final class TinyOnnx {
    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder().setName("tiny");
    private final int opset;
    private final Random random = new Random(42);

    /**
     * Starts a model.
     *
     * @param opset the default-domain opset
     * @param input the input name
     * @param c     channels
     * @param h     height
     * @param w     width
     */
    TinyOnnx(int opset, String input, long c, long h, long w) {
        this.opset = opset;
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        for (long d : new long[]{c, h, w}) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        graph.addInput(Onnx.ValueInfoProto.newBuilder().setName(input).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                        .setShape(shape))));
    }

    /** Adds a float initialiser with values uniform in [-1, 1) times {@code scale}. */
    String random(String name, float scale, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (random.nextFloat() * 2 - 1) * scale;
        }
        return floats(name, v, shape);
    }

    /** Adds a float initialiser (raw little-endian data). */
    String floats(String name, float[] values, long... shape) {
        graph.addInitializer(SmallOnnxModels.floats(name, values, shape));
        return name;
    }

    /** Adds a float initialiser given as float_data (not raw bytes). */
    String floatData(String name, float[] values, long... shape) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE);
        for (float f : values) {
            t.addFloatData(f);
        }
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Adds a 1-d int64 initialiser. */
    String int64s(String name, long... values) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Adds a Constant node holding a float scalar tensor; returns its output. */
    String constantScalar(String output, float value) {
        Onnx.TensorProto t = Onnx.TensorProto.newBuilder().setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(value).build();
        graph.addNode(Onnx.NodeProto.newBuilder().setOpType("Constant").setName(output + "_node").addOutput(output)
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("value")
                        .setType(Onnx.AttributeProto.AttributeType.TENSOR).setT(t)));
        return output;
    }

    /** Adds a node named {@code output + "_node"} with one output; returns the output. */
    String node(String op, String output, String[] inputs, Onnx.AttributeProto... attrs) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(output + "_node").addOutput(output);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (Onnx.AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return output;
    }

    /** Declares a graph output. */
    TinyOnnx output(String name) {
        graph.addOutput(Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
        return this;
    }

    /** @return the model */
    Onnx.ModelProto build() {
        return Onnx.ModelProto.newBuilder().setIrVersion(opset >= 15 ? 8 : 7).setProducerName("TinyOnnx")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    static String[] in(String... names) {
        return names;
    }

    static Onnx.AttributeProto i(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    static Onnx.AttributeProto f(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static Onnx.AttributeProto s(String name, String value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build();
    }
}
