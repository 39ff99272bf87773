package dev.transferkit.onnx;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * ONNX's {@code HardSwish}: {@code x * max(0, min(1, x / 6 + 1/2))}, as in MobileNetV3. Its gradient is
 * {@code h(x) + x / 6} where {@code -3 < x < 3}, and {@code h(x)} (0 or 1) elsewhere. Serialisable with DL4J's JSON
 * configuration.
 */
public class ActivationOnnxHardSwish extends BaseActivationFunction {
    private static final long serialVersionUID = 1L;
    private static final double ALPHA = 1.0 / 6.0;
    private static final double BETA = 0.5;

    /** Creates the activation. */
    public ActivationOnnxHardSwish() {
    }

    /**
     * Applies the activation in place.
     *
     * @param in       pre-activations; overwritten
     * @param training ignored
     * @return {@code in}, holding the activations
     */
    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        return in.muli(gate(in));
    }

    /**
     * Back-propagates through the activation.
     *
     * @param in      the pre-activations
     * @param epsilon dL/d(activation)
     * @return dL/d(pre-activation), and null (no parameters)
     */
    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        INDArray t = in.mul(ALPHA).addi(BETA);
        INDArray inside = t.gt(0.0).castTo(in.dataType()).muli(t.lt(1.0).castTo(in.dataType()));
        INDArray derivative = inside.muli(in).muli(ALPHA).addi(gate(in));
        return new Pair<>(derivative.muli(epsilon), null);
    }

    private static INDArray gate(INDArray in) {
        INDArray t = in.mul(ALPHA).addi(BETA);
        Transforms.min(t, 1.0, false);
        Transforms.max(t, 0.0, false);
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationOnnxHardSwish;
    }

    @Override
    public int hashCode() {
        return ActivationOnnxHardSwish.class.hashCode();
    }

    @Override
    public String toString() {
        return "onnxhardswish";
    }
}
