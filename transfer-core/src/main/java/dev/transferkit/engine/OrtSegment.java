package dev.transferkit.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * One exported segment in an ONNX Runtime session. Inputs are handed to ONNX Runtime without copying (the float
 * arrays' own off-heap memory), and ONNX Runtime writes the outputs straight into new ND4J arrays.
 */
final class OrtSegment implements AutoCloseable {
    private final OrtSession session;
    private final List<OnnxExport.Boundary> inputs;
    private final List<OnnxExport.Boundary> outputs;

    OrtSegment(OnnxExport.Stage stage, EngineOptions options) {
        this(OrtRuntime.session(stage.onnx(), options), stage.inputs(), stage.outputs());
    }

    private OrtSegment(OrtSession session, List<OnnxExport.Boundary> inputs, List<OnnxExport.Boundary> outputs) {
        this.session = session;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /**
     * Opens a session for a whole ONNX model whose outputs are named tensors; their shapes are the ones ONNX Runtime
     * infers (a size it cannot infer is taken from each result).
     *
     * @param onnx    the model file, one input
     * @param input   the model's input
     * @param outputs the model's outputs, in order
     * @param options session options
     * @return the segment
     */
    static OrtSegment ofModel(java.nio.file.Path onnx, OnnxExport.Boundary input, List<String> outputs, EngineOptions options) {
        OrtSession session = OrtRuntime.session(onnx, options);
        try {
            Map<String, ai.onnxruntime.NodeInfo> info = session.getOutputInfo();
            List<OnnxExport.Boundary> out = new java.util.ArrayList<>();
            for (String o : outputs) {
                long[] shape = info.get(o).getInfo() instanceof ai.onnxruntime.TensorInfo t ? t.getShape() : new long[]{-1};
                out.add(new OnnxExport.Boundary(o, o, Arrays.copyOfRange(shape, 1, Math.max(1, shape.length))));
            }
            return new OrtSegment(session, List.of(input), out);
        } catch (OrtException | RuntimeException e) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // the session is unusable anyway
            }
            throw e instanceof RuntimeException r ? r : new EngineException("ONNX Runtime could not describe the outputs "
                    + outputs + ": " + e.getMessage(), e);
        }
    }

    /** @return the shapes of one example of each output, in order; a size ONNX Runtime could not infer is -1 */
    List<OnnxExport.Boundary> outputs() {
        return outputs;
    }

    /**
     * Runs the segment.
     *
     * @param values float activations by vertex, in DL4J's layout; the outputs are added to it
     */
    void run(Map<String, INDArray> values) {
        OrtEnvironment env = OrtRuntime.environment();
        Map<String, OnnxTensor> in = new HashMap<>();
        Map<String, OnnxTensor> out = new HashMap<>();
        try {
            long n = -1;
            for (OnnxExport.Boundary b : inputs) {
                INDArray x = contiguous(values.get(b.vertex()));
                values.put(b.vertex(), x);
                n = x.size(0);
                in.put(b.tensor(), OnnxTensor.createTensor(env, floats(x), x.shape()));
            }
            Map<String, INDArray> results = new HashMap<>();
            Set<String> unpinned = new LinkedHashSet<>();
            for (OnnxExport.Boundary b : outputs) {
                long[] shape = new long[b.perExample().length + 1];
                shape[0] = n;
                System.arraycopy(b.perExample(), 0, shape, 1, b.perExample().length);
                if (Arrays.stream(shape).anyMatch(d -> d <= 0)) {
                    unpinned.add(b.tensor()); // DL4J could not tell the size: ONNX Runtime allocates, we copy
                    continue;
                }
                INDArray y = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
                results.put(b.vertex(), y);
                out.put(b.tensor(), OnnxTensor.createTensor(env, floats(y), shape));
            }
            try (OrtSession.Result r = unpinned.isEmpty() ? session.run(in, out) : session.run(in, unpinned, out)) {
                for (OnnxExport.Boundary b : outputs) {
                    if (unpinned.contains(b.tensor())) {
                        OnnxTensor t = (OnnxTensor) r.get(b.tensor()).orElseThrow();
                        FloatBuffer data = t.getFloatBuffer();
                        float[] copy = new float[data.remaining()];
                        data.get(copy);
                        results.put(b.vertex(), Nd4j.create(copy, t.getInfo().getShape(), 'c'));
                    }
                }
            }
            values.putAll(results);
        } catch (OrtException e) {
            throw new EngineException("ONNX Runtime failed on the segment computing " + outputs.stream()
                    .map(OnnxExport.Boundary::vertex).toList() + ": " + e.getMessage(), e);
        } finally {
            in.values().forEach(OnnxTensor::close);
            out.values().forEach(OnnxTensor::close);
        }
    }

    /** @return the array as a whole C-ordered float buffer (itself when it is one) */
    static INDArray contiguous(INDArray x) {
        INDArray f = x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT);
        if (f.ordering() != 'c' || f.offset() != 0 || f.data().length() != f.length()
                || !org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(f)) {
            f = f.dup('c'); // ONNX Runtime reads the whole buffer from its start in C order
        }
        return f;
    }

    /** @return the array's own memory as a direct float buffer (the array must be a whole, C-ordered float buffer) */
    static FloatBuffer floats(INDArray x) {
        return x.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new EngineException("ONNX Runtime could not close a session: " + e.getMessage(), e);
        }
    }
}
