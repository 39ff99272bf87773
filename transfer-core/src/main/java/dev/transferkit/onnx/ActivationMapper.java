package dev.transferkit.onnx;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise activations as an {@link OnnxActivationLayer} (unlike DL4J's, it leaves its input alone):
 * {@code Relu}, {@code LeakyRelu}, {@code Sigmoid}, {@code Tanh}, {@code Clip} (ReLU6 and ReLU to DL4J's own, other
 * bounds to {@link ActivationClip}), {@code HardSigmoid} ({@link ActivationOnnxHardSigmoid}), {@code HardSwish}
 * ({@link ActivationOnnxHardSwish}) and {@code Softmax} over the features of a vector.
 */
final class ActivationMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        IActivation activation;
        boolean nonNegative = true;
        switch (node.op()) {
            case "Relu":
                activation = new ActivationReLU();
                break;
            case "LeakyRelu":
                activation = new ActivationLReLU(node.getFloat("alpha", 0.01f));
                nonNegative = false;
                break;
            case "Sigmoid":
                activation = new ActivationSigmoid();
                break;
            case "Tanh":
                activation = new ActivationTanH();
                nonNegative = false;
                break;
            case "HardSigmoid":
                activation = new ActivationOnnxHardSigmoid(node.getFloat("alpha", 0.2f), node.getFloat("beta", 0.5f));
                break;
            case "HardSwish":
                activation = new ActivationOnnxHardSwish();
                nonNegative = false;
                break;
            case "Clip": {
                double min = bound(node, ctx, "min", 1, Double.NEGATIVE_INFINITY);
                double max = bound(node, ctx, "max", 2, Double.POSITIVE_INFINITY);
                if (min > max) {
                    throw node.unsupported("its min " + min + " exceeds its max " + max + ".");
                }
                if (min == 0 && max == 6) {
                    activation = new ActivationReLU6();
                } else if (min == 0 && max == Double.POSITIVE_INFINITY) {
                    activation = new ActivationReLU();
                } else {
                    activation = new ActivationClip(min, max);
                }
                nonNegative = min >= 0;
                break;
            }
            case "Softmax": {
                long axis = node.getInt("axis", node.opset() >= 13 ? -1 : 1);
                if (!in.isVector() || (axis != 1 && axis != -1)) {
                    throw node.unsupported("axis = " + axis + " on an input " + in
                            + " is not supported; only a softmax over the features of a [N, F] tensor is.");
                }
                activation = new ActivationSoftmax();
                break;
            }
            default:
                throw node.unsupported("the activation mapper does not handle operator " + node.op() + ".");
        }
        ctx.addLayer(node.output(), new OnnxActivationLayer(activation), in, node.input(0));
        if (nonNegative) {
            ctx.markNonNegative(node.output());
        }
    }

    /** A Clip bound: an attribute before opset 11, an optional constant input from opset 11. */
    private static double bound(OnnxNode node, ImportContext ctx, String name, int input, double fallback) {
        if (node.opset() < 11) {
            return node.getFloat(name, (float) fallback);
        }
        if (node.input(input).isEmpty()) {
            return fallback;
        }
        INDArray value = ctx.requireConstant(node, input, name);
        if (value.length() != 1) {
            throw node.unsupported("its " + name + " has " + value.length() + " values; a scalar is expected.");
        }
        return value.getDouble(0);
    }
}
