package dev.transferkit.onnx;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * ONNX's {@code HardSigmoid}: {@code max(0, min(1, alpha * x + beta))} with the node's own slope and offset (DL4J's
 * built-in hard sigmoid fixes them at 0.2 and 0.5; PyTorch's {@code Hardsigmoid} exports alpha = 1/6). Its gradient is
 * {@code alpha} where {@code 0 < alpha * x + beta < 1} and 0 elsewhere. Serialisable with DL4J's JSON configuration.
 */
public class ActivationOnnxHardSigmoid extends BaseActivationFunction {
    private static final long serialVersionUID = 1L;

    private final double alpha;
    private final double beta;

    /**
     * Creates the activation.
     *
     * @param alpha the slope
     * @param beta  the offset
     */
    @JsonCreator
    public ActivationOnnxHardSigmoid(@JsonProperty("alpha") double alpha, @JsonProperty("beta") double beta) {
        this.alpha = alpha;
        this.beta = beta;
    }

    /** @return the slope */
    public double getAlpha() {
        return alpha;
    }

    /** @return the offset */
    public double getBeta() {
        return beta;
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
        in.muli(alpha).addi(beta);
        Transforms.min(in, 1.0, false);
        Transforms.max(in, 0.0, false);
        return in;
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
        INDArray t = in.mul(alpha).addi(beta);
        INDArray inside = t.gt(0.0).castTo(in.dataType()).muli(t.lt(1.0).castTo(in.dataType()));
        return new Pair<>(inside.muli(alpha).muli(epsilon), null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationOnnxHardSigmoid && ((ActivationOnnxHardSigmoid) o).alpha == alpha
                && ((ActivationOnnxHardSigmoid) o).beta == beta;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(alpha) * 31 + Double.hashCode(beta);
    }

    @Override
    public String toString() {
        return "onnxhardsigmoid(alpha=" + alpha + ", beta=" + beta + ")";
    }
}
