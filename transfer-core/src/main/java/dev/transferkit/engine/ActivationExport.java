package dev.transferkit.engine;

import dev.transferkit.onnx.ActivationClip;
import dev.transferkit.onnx.ActivationOnnxHardSigmoid;
import dev.transferkit.onnx.ActivationOnnxHardSwish;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;

/**
 * DL4J activation functions as ONNX nodes: identity, ReLU (with DL4J's optional maximum and negative slope), ReLU6 and
 * clipped ReLU as {@code Clip} (which ONNX Runtime fuses into a preceding convolution), leaky ReLU, thresholded ReLU,
 * ELU, SELU, sigmoid, hard sigmoid, tanh, hard tanh, softplus, softsign, swish ({@code x * sigmoid(x)}), softmax over
 * the features of a flat vector, and the ONNX importer's clip, hard sigmoid and hard swish.
 */
final class ActivationExport {
    private ActivationExport() {
    }

    /**
     * Tells why an activation cannot be exported.
     *
     * @param fn   the function (null means identity)
     * @param rank the rank of the activations it applies to
     * @return the reason, or null when it can be
     */
    static String unsupported(IActivation fn, int rank) {
        if (fn == null || fn instanceof ActivationIdentity || fn instanceof ActivationReLU6 || fn instanceof ActivationLReLU
                || fn instanceof ActivationSigmoid || fn instanceof ActivationTanH || fn instanceof ActivationHardSigmoid
                || fn instanceof ActivationSwish || fn instanceof ActivationELU || fn instanceof ActivationSELU
                || fn instanceof ActivationSoftPlus || fn instanceof ActivationSoftSign || fn instanceof ActivationHardTanH
                || fn instanceof ActivationThresholdedReLU || fn instanceof ActivationClip
                || fn instanceof ActivationOnnxHardSigmoid || fn instanceof ActivationOnnxHardSwish) {
            return null;
        }
        if (fn instanceof ActivationReLU r) {
            return r.getThreshold() == null || r.getThreshold() == 0.0 ? null
                    : "ReLU with a threshold of " + r.getThreshold() + " is not exported";
        }
        if (fn instanceof ActivationSoftmax) {
            return rank == 2 ? null : "softmax over rank-" + rank + " activations is not exported";
        }
        return "activation " + fn + " is not exported";
    }

    /**
     * Appends an activation.
     *
     * @param g    the graph
     * @param hint a name stem
     * @param fn   the function, one {@link #unsupported} accepts (null means identity)
     * @param x    the input tensor
     * @return the output tensor ({@code x} itself for identity)
     */
    static String emit(OnnxGraph g, String hint, IActivation fn, String x) {
        String[] in = {x};
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        }
        if (fn instanceof ActivationReLU r) {
            double slope = r.getNegativeSlope() == null ? 0 : r.getNegativeSlope();
            if (slope == 0 && r.getMax() != null) {
                return clip(g, hint, x, 0, r.getMax().floatValue()); // Keras' ReLU(max_value=6): one fusable Clip
            }
            String y = slope == 0 ? g.node("Relu", hint + ":relu", in)
                    : g.node("LeakyRelu", hint + ":lrelu", in, OnnxGraph.attr("alpha", (float) slope));
            return r.getMax() == null ? y : g.node("Min", hint + ":max", new String[]{y, g.scalar(hint + ":max",
                    r.getMax().floatValue())});
        }
        if (fn instanceof ActivationReLU6) {
            return clip(g, hint, x, 0, 6);
        }
        if (fn instanceof ActivationClip c) {
            return clip(g, hint, x, (float) c.getMin(), (float) c.getMax());
        }
        if (fn instanceof ActivationOnnxHardSigmoid h) {
            return g.node("HardSigmoid", hint + ":hsigmoid", in, OnnxGraph.attr("alpha", (float) h.getAlpha()),
                    OnnxGraph.attr("beta", (float) h.getBeta()));
        }
        if (fn instanceof ActivationOnnxHardSwish) { // opset 13 has no HardSwish: x * HardSigmoid(x, 1/6, 1/2)
            return g.node("Mul", hint + ":hswish", new String[]{x, g.node("HardSigmoid", hint + ":hsigmoid", in,
                    OnnxGraph.attr("alpha", 1f / 6), OnnxGraph.attr("beta", 0.5f))});
        }
        if (fn instanceof ActivationHardTanH) {
            return clip(g, hint, x, -1, 1);
        }
        if (fn instanceof ActivationLReLU l) {
            return g.node("LeakyRelu", hint + ":lrelu", in, OnnxGraph.attr("alpha", (float) l.getAlpha()));
        }
        if (fn instanceof ActivationThresholdedReLU t) {
            return g.node("ThresholdedRelu", hint + ":trelu", in, OnnxGraph.attr("alpha", (float) t.getTheta()));
        }
        if (fn instanceof ActivationELU e) {
            return g.node("Elu", hint + ":elu", in, OnnxGraph.attr("alpha", (float) e.getAlpha()));
        }
        if (fn instanceof ActivationSELU) {
            return g.node("Selu", hint + ":selu", in);
        }
        if (fn instanceof ActivationSigmoid) {
            return g.node("Sigmoid", hint + ":sigmoid", in);
        }
        if (fn instanceof ActivationHardSigmoid) {
            return g.node("HardSigmoid", hint + ":hsigmoid", in, OnnxGraph.attr("alpha", 0.2f), OnnxGraph.attr("beta", 0.5f));
        }
        if (fn instanceof ActivationTanH) {
            return g.node("Tanh", hint + ":tanh", in);
        }
        if (fn instanceof ActivationSoftPlus) {
            return g.node("Softplus", hint + ":softplus", in);
        }
        if (fn instanceof ActivationSoftSign) {
            return g.node("Softsign", hint + ":softsign", in);
        }
        if (fn instanceof ActivationSwish) {
            return g.node("Mul", hint + ":swish", new String[]{x, g.node("Sigmoid", hint + ":sigmoid", in)});
        }
        if (fn instanceof ActivationSoftmax) {
            return g.node("Softmax", hint + ":softmax", in, OnnxGraph.attr("axis", 1L));
        }
        throw new IllegalStateException("no export for activation " + fn); // unsupported() lets only the above through
    }

    private static String clip(OnnxGraph g, String hint, String x, float min, float max) {
        return g.node("Clip", hint + ":clip", new String[]{x, g.scalar(hint + ":min", min), g.scalar(hint + ":max", max)});
    }
}
