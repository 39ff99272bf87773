package dev.transferkit.onnx;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * ONNX's {@code Clip} with bounds DL4J has no built-in activation for: {@code min(max, max(min, x))}. Its gradient is
 * 1 strictly between the bounds and 0 elsewhere. (ReLU6 and ReLU map to DL4J's own activations.) Serialisable with
 * DL4J's JSON configuration.
 */
public class ActivationClip extends BaseActivationFunction {
    private static final long serialVersionUID = 1L;

    private final double min;
    private final double max;

    /**
     * Creates the activation.
     *
     * @param min the lower bound (may be negative infinity)
     * @param max the upper bound (may be positive infinity)
     */
    @JsonCreator
    public ActivationClip(@JsonProperty("min") double min, @JsonProperty("max") double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("The clip bounds must satisfy min <= max, but min = " + min
                    + " and max = " + max + ".");
        }
        this.min = min;
        this.max = max;
    }

    /** @return the lower bound */
    public double getMin() {
        return min;
    }

    /** @return the upper bound */
    public double getMax() {
        return max;
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
        if (max < Double.POSITIVE_INFINITY) {
            Transforms.min(in, max, false);
        }
        if (min > Double.NEGATIVE_INFINITY) {
            Transforms.max(in, min, false);
        }
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
        INDArray inside = in.gt(min).castTo(in.dataType()).muli(in.lt(max).castTo(in.dataType()));
        return new Pair<>(inside.muli(epsilon), null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationClip && ((ActivationClip) o).min == min && ((ActivationClip) o).max == max;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(min) * 31 + Double.hashCode(max);
    }

    @Override
    public String toString() {
        return "clip(min=" + min + ", max=" + max + ")";
    }
}
