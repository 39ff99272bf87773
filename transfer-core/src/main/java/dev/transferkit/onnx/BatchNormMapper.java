package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inference-mode {@code BatchNormalization} as a DL4J {@link BatchNormalization} layer holding the scale, bias,
 * running mean and running variance (stored as variance, not DL4J's default log-stdev), with the node's epsilon and
 * its momentum as DL4J's decay, so that fine-tuning can train it and update the running statistics the way ONNX's
 * training mode would.
 */
final class BatchNormMapper implements OperatorMapper {
    private static final String[] ROLES = {"scale", "bias", "running mean", "running variance"};
    private static final String[] KEYS = {"gamma", "beta", "mean", "var"};

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        for (int i = 1; i < node.outputs().size(); i++) {
            if (!node.outputs().get(i).isEmpty()) {
                throw node.unsupported("it has training-mode outputs (" + String.join(", ", node.outputs())
                        + "); only inference-mode batch normalisation with one output is supported.");
            }
        }
        if (node.getInt("training_mode", 0) != 0) {
            throw node.unsupported("training_mode = 1 is not supported; export the model in evaluation mode.");
        }
        if (node.getInt("spatial", 1) != 1) {
            throw node.unsupported("spatial = 0 (per-position statistics) is not supported.");
        }
        long channels = in.channels();
        INDArray[] values = new INDArray[4];
        for (int i = 0; i < 4; i++) {
            values[i] = ctx.requireConstant(node, i + 1, ROLES[i]);
            if (values[i].length() != channels) {
                throw node.unsupported("its " + ROLES[i] + " has " + values[i].length() + " values for an input "
                        + in + " with " + channels + " channels.");
            }
        }
        double epsilon = node.getFloat("epsilon", 1e-5f);
        double momentum = node.getFloat("momentum", 0.9f);
        BatchNormalization layer = new BatchNormalization.Builder().nIn(channels).nOut(channels).eps(epsilon)
                .decay(momentum).useLogStd(false).lockGammaBeta(false).build();
        ctx.addLayer(node.output(), layer, in, node.input(0));
        for (int i = 0; i < 4; i++) {
            ctx.param(node.output(), KEYS[i], values[i].reshape(1, channels));
        }
    }
}
