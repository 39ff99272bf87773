package dev.transferkit.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs an ONNX model in ONNX Runtime, as an independent reference for the imported DL4J graph. */
final class OrtReference {
    private OrtReference() {
    }

    /**
     * Runs the model on one input.
     *
     * @param model   the model
     * @param input   the NCHW input
     * @param tensors the tensors to return: graph outputs, or any node output (added as an extra graph output)
     * @return the tensors' values, by name
     */
    static Map<String, INDArray> run(Onnx.ModelProto model, INDArray input, List<String> tensors) throws OrtException {
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        java.util.Set<String> declared = new java.util.HashSet<>();
        graph.getOutputList().forEach(o -> declared.add(o.getName()));
        for (String t : tensors) {
            if (!declared.contains(t)) {
                graph.addOutput(Onnx.ValueInfoProto.newBuilder().setName(t).setType(Onnx.TypeProto.newBuilder()
                        .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        byte[] bytes = model.toBuilder().setGraph(graph).build().toByteArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String inputName = model.getGraph().getInput(0).getName();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(bytes, options);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.dup('c').data().asFloat()), input.shape());
                 OrtSession.Result result = session.run(Map.of(inputName, in), new java.util.HashSet<>(tensors))) {
                Map<String, INDArray> out = new LinkedHashMap<>();
                for (String t : tensors) {
                    OnnxTensor value = (OnnxTensor) result.get(t).orElseThrow();
                    FloatBuffer fb = value.getFloatBuffer();
                    float[] data = new float[fb.remaining()];
                    fb.get(data);
                    out.put(t, Nd4j.create(data, value.getInfo().getShape(), 'c').castTo(DataType.FLOAT));
                }
                return out;
            }
        }
    }
}
