package dev.transferkit.engine;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A batch normalisation at inference as one scale and one shift per channel, {@code y = x * scale + shift}, computed
 * from the layer's learned and running parameters as DL4J 1.0.0-M2.1 does at inference: the standard deviation is
 * {@code sqrt(var + eps)}, where a layer that stores {@code log10(std)} ({@code useLogStd}, e.g. the zoo ResNet50) has
 * its variance recomputed as {@code (10^log10std)^2} (so {@code eps} is added once more, as DL4J does).
 */
final class BatchNormFold {
    private final INDArray scale;
    private final INDArray shift;

    private BatchNormFold(INDArray scale, INDArray shift) {
        this.scale = scale;
        this.shift = shift;
    }

    /**
     * Tells why a batch normalisation layer cannot be expressed as a scale and shift, or null when it can.
     *
     * @param conf the layer configuration
     * @return the reason, or null
     */
    static String unsupportedReason(BatchNormalization conf) {
        if (conf.isLockGammaBeta()) {
            return "lockGammaBeta is set (DL4J treats fixed gamma/beta differently in its two code paths)";
        }
        return null;
    }

    /**
     * Computes the scale and shift of a layer.
     *
     * @param layer the instantiated DL4J batch-normalisation layer
     * @return the fold
     */
    static BatchNormFold of(Layer layer) {
        BatchNormalization conf = (BatchNormalization) layer.conf().getLayer();
        INDArray gamma = layer.getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1);
        INDArray beta = layer.getParam(BatchNormalizationParamInitializer.BETA).reshape(-1);
        INDArray mean = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray var;
        if (conf.isUseLogStd()) {
            INDArray log10Std = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1);
            INDArray std = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, log10Std.dataType()), log10Std, false);
            var = std.mul(std);
        } else {
            var = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(-1);
        }
        INDArray std = Transforms.sqrt(var.add(conf.getEps()), false);
        INDArray scale = gamma.div(std);
        INDArray shift = beta.sub(mean.mul(scale));
        return new BatchNormFold(scale, shift);
    }

    /** @return one multiplier per channel */
    INDArray scale() {
        return scale;
    }

    /** @return one offset per channel */
    INDArray shift() {
        return shift;
    }

    /**
     * Folds this normalisation into the convolution before it.
     *
     * @param weights   the convolution's weights: {@code [out, in, kH, kW]}, or for a depthwise convolution
     *                  {@code [kH, kW, in, multiplier]} whose output channel is {@code in * multiplier + m}
     * @param depthwise whether the weights are depthwise
     * @return new weights scaled per output channel
     */
    INDArray foldWeights(INDArray weights, boolean depthwise) {
        INDArray w = weights.dup('c');
        if (depthwise) {
            long kk = w.size(0) * w.size(1);
            w.reshape('c', kk, w.length() / kk).muliRowVector(scale.reshape(1, scale.length()));
        } else {
            long out = w.size(0);
            w.reshape('c', out, w.length() / out).muliColumnVector(scale.reshape(out, 1));
        }
        return w;
    }

    /**
     * Folds this normalisation into the bias of the convolution before it.
     *
     * @param bias the convolution's bias, or null for none
     * @return {@code (bias - mean) * scale + beta}, i.e. {@code bias * scale + shift}
     */
    INDArray foldBias(INDArray bias) {
        INDArray b = shift.dup();
        if (bias != null) {
            b.addi(bias.reshape(-1).mul(scale));
        }
        return b;
    }
}
