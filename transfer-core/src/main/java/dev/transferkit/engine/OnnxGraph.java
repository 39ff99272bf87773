package dev.transferkit.engine;

import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * An ONNX graph under construction (opset {@value #OPSET}, float32 tensors, a symbolic batch dimension): nodes,
 * weights as initialisers, inputs and outputs, with unique tensor names. Used by {@link OnnxExport}; {@link #toBytes()}
 * gives the serialised model for an ONNX Runtime session.
 */
final class OnnxGraph {
    /** The ONNX operator set the exporter writes. */
    static final int OPSET = 13;
    private static final String BATCH = "N";

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private int counter;

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /**
     * Makes a tensor name that no other tensor of this graph has.
     *
     * @param hint a readable stem, e.g. the DL4J vertex
     * @return the name
     */
    String fresh(String hint) {
        String base = hint.replaceAll("[^A-Za-z0-9_./:-]", "_");
        String name = base;
        while (!names.add(name)) {
            name = base + "#" + (++counter);
        }
        return name;
    }

    /**
     * Declares a float input with a symbolic batch dimension.
     *
     * @param name        the tensor name
     * @param perExample  the shape of one example
     */
    void input(String name, long[] perExample) {
        names.add(name);
        graph.addInput(valueInfo(name, perExample, true));
    }

    /**
     * Declares a float output with a symbolic batch dimension.
     *
     * @param name       a tensor some node produces
     * @param perExample the shape of one example (a size of 0 or less: not known)
     */
    void output(String name, long[] perExample) {
        graph.addOutput(valueInfo(name, perExample, true));
    }

    /**
     * Declares a float input of a fixed shape (no batch dimension), e.g. a parameter fed at every run.
     *
     * @param name  the tensor name
     * @param shape its shape
     */
    void fixedInput(String name, long[] shape) {
        names.add(name);
        graph.addInput(valueInfo(name, shape, false));
    }

    /**
     * Declares a float output of a fixed shape (no batch dimension), e.g. a gradient or a scalar.
     *
     * @param name  a tensor some node produces
     * @param shape its shape
     */
    void fixedOutput(String name, long[] shape) {
        graph.addOutput(valueInfo(name, shape, false));
    }

    /**
     * Adds a float32 constant (weights).
     *
     * @param hint  a name stem
     * @param array the values; copied, in C order
     * @param shape the shape to give it, or null for the array's own
     * @return the tensor name
     */
    String weights(String hint, INDArray array, long... shape) {
        INDArray a = array.castTo(DataType.FLOAT).dup('c');
        long[] dims = shape == null || shape.length == 0 ? a.shape() : shape;
        ByteBuffer bytes = ByteBuffer.allocate((int) (a.length() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : a.data().asFloat()) {
            bytes.putFloat(f);
        }
        bytes.flip();
        String name = fresh(hint);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /**
     * Adds a float32 scalar constant.
     *
     * @param hint  a name stem
     * @param value the value
     * @return the tensor name
     */
    String scalar(String hint, float value) {
        String name = fresh(hint);
        graph.addInitializer(Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).flip())));
        return name;
    }

    /**
     * Adds a 1-d int64 constant (shapes, pads, axes).
     *
     * @param hint   a name stem
     * @param values the values
     * @return the tensor name
     */
    String int64s(String hint, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bytes.putLong(v);
        }
        bytes.flip();
        String name = fresh(hint);
        graph.addInitializer(Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                .addDims(values.length).setRawData(ByteString.copyFrom(bytes)));
        return name;
    }

    /**
     * Adds a node with one output.
     *
     * @param op      the ONNX operator, e.g. {@code Conv}
     * @param hint    a stem for the output's name
     * @param inputs  input tensor names ("" for an omitted optional input)
     * @param attrs   attributes made with {@link #attr}
     * @return the output tensor name
     */
    String node(String op, String hint, String[] inputs, Onnx.AttributeProto... attrs) {
        String out = fresh(hint);
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(out).addOutput(out);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (Onnx.AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** @return an int attribute */
    static Onnx.AttributeProto attr(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** @return a float attribute */
    static Onnx.AttributeProto attr(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** @return an ints attribute */
    static Onnx.AttributeProto attr(String name, long[] values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** @return the serialised model (IR version 7) */
    byte[] toBytes() {
        return Onnx.ModelProto.newBuilder().setIrVersion(7).setProducerName("TransferKit")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph).build().toByteArray();
    }

    /** @return the number of nodes so far */
    int nodes() {
        return graph.getNodeCount();
    }

    private static Onnx.ValueInfoProto valueInfo(String name, long[] perExample, boolean batched) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        if (batched) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        }
        for (int i = 0; i < perExample.length; i++) {
            long d = perExample[i];
            shape.addDim(d > 0 ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(name.replaceAll("\\W", "_") + "_d" + (i + 1)));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
