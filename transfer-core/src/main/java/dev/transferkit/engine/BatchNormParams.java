package dev.transferkit.engine;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A DL4J batch normalisation at inference as the parameters of ONNX's {@code BatchNormalization}
 * ({@code y = gamma * (x - mean) / sqrt(var + eps) + beta}), read as DL4J 1.0.0-M2.1 uses them: a layer that stores
 * {@code log10(std)} ({@code useLogStd}, e.g. the zoo ResNet50) has its variance recomputed as
 * {@code (10^log10std)^2}, to which DL4J adds {@code eps} once more.
 *
 * @param gamma    one scale per channel
 * @param beta     one offset per channel
 * @param mean     the running mean
 * @param variance the running variance
 * @param eps      added to the variance
 */
record BatchNormParams(INDArray gamma, INDArray beta, INDArray mean, INDArray variance, double eps) {
    /**
     * Reads the parameters of a layer.
     *
     * @param layer the instantiated DL4J batch-normalisation layer (or a frozen wrapper of one)
     * @return its parameters
     */
    static BatchNormParams of(Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer c = layer.conf().getLayer();
        while (!(c instanceof BatchNormalization)) {
            c = c instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer f ? f.getLayer()
                    : ((org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop) c).getUnderlying();
        }
        BatchNormalization conf = (BatchNormalization) c;
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
        return new BatchNormParams(gamma, beta, mean, var, conf.getEps());
    }
}
