package dev.transferkit.onnx;

import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts ONNX tensors (initialisers, {@code Constant} values) to ND4J arrays: floating-point types become float32
 * arrays, integer types int64 arrays, in the tensor's own shape (C order).
 */
final class OnnxTensors {
    private OnnxTensors() {
    }

    /**
     * Reads a tensor.
     *
     * @param tensor the tensor
     * @param where  a phrase naming where the tensor comes from, for error messages
     * @return its values
     * @throws OnnxImportException for external data or an element type other than float, double, int32
     *                             and int64
     */
    static INDArray toArray(Onnx.TensorProto tensor, String where) {
        if (tensor.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            throw new OnnxImportException("The tensor '" + tensor.getName() + "' of " + where
                    + " keeps its values in an external file; load the model with its external data inlined "
                    + "(onnx.load(path, load_external_data=True) then onnx.save without external data).");
        }
        long[] shape = new long[tensor.getDimsCount()];
        long length = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = tensor.getDims(i);
            length = Math.multiplyExact(length, shape[i]);
        }
        int n = Math.toIntExact(length);
        ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = raw.remaining() > 0;
        int type = tensor.getDataType();
        if (type == Onnx.TensorProto.DataType.FLOAT_VALUE) {
            float[] v = new float[n];
            if (hasRaw) {
                checkLength(tensor, where, raw.remaining(), n * 4L);
                raw.asFloatBuffer().get(v);
            } else {
                checkLength(tensor, where, tensor.getFloatDataCount(), n);
                for (int i = 0; i < n; i++) {
                    v[i] = tensor.getFloatData(i);
                }
            }
            return Nd4j.createFromArray(v).reshape(shape);
        }
        if (type == Onnx.TensorProto.DataType.DOUBLE_VALUE) {
            float[] v = new float[n];
            if (hasRaw) {
                checkLength(tensor, where, raw.remaining(), n * 8L);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) raw.getDouble(i * 8);
                }
            } else {
                checkLength(tensor, where, tensor.getDoubleDataCount(), n);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) tensor.getDoubleData(i);
                }
            }
            return Nd4j.createFromArray(v).reshape(shape);
        }
        if (type == Onnx.TensorProto.DataType.INT64_VALUE || type == Onnx.TensorProto.DataType.INT32_VALUE) {
            boolean wide = type == Onnx.TensorProto.DataType.INT64_VALUE;
            long[] v = new long[n];
            if (hasRaw) {
                checkLength(tensor, where, raw.remaining(), n * (wide ? 8L : 4L));
                for (int i = 0; i < n; i++) {
                    v[i] = wide ? raw.getLong(i * 8) : raw.getInt(i * 4);
                }
            } else {
                checkLength(tensor, where, wide ? tensor.getInt64DataCount() : tensor.getInt32DataCount(), n);
                for (int i = 0; i < n; i++) {
                    v[i] = wide ? tensor.getInt64Data(i) : tensor.getInt32Data(i);
                }
            }
            return Nd4j.createFromArray(v).reshape(shape);
        }
        throw new OnnxImportException("The tensor '" + tensor.getName() + "' of " + where + " has ONNX element type "
                + type + "; only float, double, int32 and int64 constants are supported.");
    }

    private static void checkLength(Onnx.TensorProto tensor, String where, long actual, long expected) {
        if (actual != expected) {
            throw new OnnxImportException("The tensor '" + tensor.getName() + "' of " + where + " holds " + actual
                    + " values (or bytes) where its shape needs " + expected + "; the model file is damaged.");
        }
    }
}
