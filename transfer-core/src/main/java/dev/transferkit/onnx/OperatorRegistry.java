package dev.transferkit.onnx;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which {@link OperatorMapper} handles which ONNX operator (default domain).
 */
final class OperatorRegistry {
    private final Map<String, OperatorMapper> mappers = new TreeMap<>();

    private OperatorRegistry() {
    }

    /** @return the registry of every operator {@link OnnxGraphImporter} supports */
    static OperatorRegistry standard() {
        OperatorRegistry r = new OperatorRegistry();
        r.register(new ConvMapper(), "Conv");
        r.register(new BatchNormMapper(), "BatchNormalization");
        r.register(new ActivationMapper(), "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid",
                "HardSwish", "Softmax");
        r.register(new ElementwiseMapper(), "Add", "Mul");
        r.register(new ConcatMapper(), "Concat");
        r.register(new PoolMapper(), "MaxPool", "AveragePool");
        r.register(new GlobalPoolMapper(), "GlobalAveragePool", "GlobalMaxPool");
        r.register(new FlattenMapper(), "Flatten", "Reshape");
        r.register(new DenseMapper(), "Gemm", "MatMul");
        r.register(new PadMapper(), "Pad");
        r.register(new PassThroughMapper(), "Identity", "Dropout");
        r.register(new ConstantMapper(), "Constant");
        return r;
    }

    private void register(OperatorMapper mapper, String... ops) {
        for (String op : ops) {
            mappers.put(op, mapper);
        }
    }

    /**
     * @param op an operator name
     * @return its mapper, or null when the operator is not supported
     */
    OperatorMapper mapper(String op) {
        return mappers.get(op);
    }

    /** @return the supported operator names, sorted */
    Iterable<String> operators() {
        return Collections.unmodifiableSet(mappers.keySet());
    }
}
