package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Identity} (an identity {@link ActivationLayer}) and {@code Dropout} (a DL4J {@link DropoutLayer} that keeps
 * {@code 1 - ratio} of the values while fine-tuning and passes everything at inference, or an identity layer when the
 * ratio is 0). The ratio is an attribute before opset 12 and an optional constant input from opset 12.
 */
final class PassThroughMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        double ratio = 0;
        if (node.op().equals("Dropout")) {
            for (int i = 1; i < node.outputs().size(); i++) {
                String mask = node.outputs().get(i);
                if (!mask.isEmpty() && (!ctx.consumers(mask).isEmpty() || ctx.isGraphOutput(mask))) {
                    throw node.unsupported("its mask output '" + mask + "' is used, which is not supported.");
                }
            }
            if (node.opset() < 12) {
                ratio = node.getFloat("ratio", 0.5f);
            } else {
                INDArray r = node.input(1).isEmpty() ? null : ctx.requireConstant(node, 1, "ratio");
                ratio = r == null ? 0.5 : r.getDouble(0);
            }
            if (!(ratio >= 0 && ratio < 1)) {
                throw node.unsupported("the ratio " + ratio + " is not in [0, 1).");
            }
        }
        if (ratio > 0) {
            ctx.addLayer(node.output(), new DropoutLayer.Builder(1 - ratio).build(), in, node.input(0));
        } else {
            ctx.addLayer(node.output(), new ActivationLayer.Builder().activation(new ActivationIdentity()).build(),
                    in, node.input(0));
        }
        if (ctx.isNonNegative(node.input(0))) {
            ctx.markNonNegative(node.output());
        }
    }
}
