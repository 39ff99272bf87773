package dev.transferkit.onnx;

import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small ONNX models built with the protobuf classes: a 1x1 convolution followed by ReLU, global pooling and Gemm. */
final class SmallOnnxModels {
    static final float[] CONV = {1f, -2f, 0.5f, 0.25f, 1f, -1f}; // 2 output channels x 3 input channels
    static final float[] GEMM = {1f, 2f, -1f, 0.5f, 0f, 3f};     // [3 classes, 2 features]

    private SmallOnnxModels() {
    }

    /** The model: input "image" [n, 3, h, w] (h and w fixed when {@code size > 0}, else symbolic). */
    static Onnx.ModelProto.Builder model(int size) {
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("tiny");
        g.addInput(input("image", size));
        g.addInitializer(floats("conv.w", CONV, 2, 3, 1, 1));
        g.addInitializer(floats("fc.w", GEMM, 3, 2));
        g.addNode(node("Conv", "/features/features.0/Conv", new String[]{"image", "conv.w"}, "conv"));
        g.addNode(node("Relu", "/features/features.0/Relu", new String[]{"conv"}, "relu"));
        g.addNode(node("GlobalAveragePool", "/pool/GlobalAveragePool", new String[]{"relu"}, "pooled"));
        g.addNode(node("Flatten", "/Flatten", new String[]{"pooled"}, "flat"));
        g.addNode(node("Gemm", "/fc/Gemm", new String[]{"flat", "fc.w"}, "logits").toBuilder()
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("transB").setI(1)
                        .setType(Onnx.AttributeProto.AttributeType.INT)).build());
        g.addOutput(Onnx.ValueInfoProto.newBuilder().setName("logits").setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
        return Onnx.ModelProto.newBuilder().setIrVersion(7).setProducerName("TinyOnnx").setGraph(g)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(13));
    }

    static Path write(Path file, Onnx.ModelProto.Builder model) throws Exception {
        Files.write(file, model.build().toByteArray());
        return file;
    }

    static Onnx.ValueInfoProto input(String name, int size) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("n"))
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(3));
        for (int i = 0; i < 2; i++) {
            shape.addDim(size > 0 ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(size)
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "h" : "w"));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    static Onnx.TensorProto floats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(b));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static Onnx.NodeProto node(String op, String name, String[] inputs, String output) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) {
            n.addInput(i);
        }
        return n.build();
    }
}
