package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * {@code Pad} with mode {@code constant} and value 0 on the height and width of images, as a DL4J
 * {@link ZeroPaddingLayer} (no padding at all: an identity {@link ActivationLayer}). The pads are an attribute before
 * opset 11 and a constant input from opset 11.
 */
final class PadMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        String mode = node.getString("mode", "constant");
        if (!mode.equals("constant")) {
            throw node.unsupported("mode = '" + mode + "' is not supported; only constant (zero) padding is.");
        }
        long[] pads;
        double value;
        if (node.opset() < 11) {
            pads = node.getInts("pads", null);
            if (pads == null) {
                throw node.unsupported("it has no pads attribute.");
            }
            value = node.getFloat("value", 0f);
        } else {
            pads = ctx.requireConstant(node, 1, "pads").toLongVector();
            INDArray v = node.input(2).isEmpty() ? null : ctx.requireConstant(node, 2, "constant value");
            value = v == null ? 0 : v.getDouble(0);
            if (!node.input(3).isEmpty()) {
                throw node.unsupported("its axes input is not supported.");
            }
        }
        if (value != 0) {
            throw node.unsupported("the padding value " + value + " is not supported; only zero padding is.");
        }
        if (!in.isImage() || pads.length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0
                || Arrays.stream(pads).anyMatch(p -> p < 0)) {
            throw node.unsupported("the pads " + Arrays.toString(pads) + " of an input " + in + " are not supported; "
                    + "only non-negative padding of the height and width of an NCHW image is.");
        }
        long top = pads[2];
        long left = pads[3];
        long bottom = pads[6];
        long right = pads[7];
        ActivationShape out = ActivationShape.image(in.channels(), in.height() + top + bottom, in.width() + left + right);
        if (top == 0 && left == 0 && bottom == 0 && right == 0) {
            ctx.addLayer(node.output(), new ActivationLayer.Builder().activation(new ActivationIdentity()).build(),
                    out, node.input(0));
        } else {
            ctx.addLayer(node.output(), new ZeroPaddingLayer.Builder((int) top, (int) bottom, (int) left, (int) right)
                    .dataFormat(CNN2DFormat.NCHW).build(), out, node.input(0));
        }
        if (ctx.isNonNegative(node.input(0))) {
            ctx.markNonNegative(node.output());
        }
    }
}
