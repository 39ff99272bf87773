package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;

/**
 * {@code GlobalAveragePool} and {@code GlobalMaxPool} as a DL4J {@link GlobalPoolingLayer} that keeps ONNX's
 * {@code [N, C, 1, 1]} output (so a following convolution, as in squeeze-and-excitation, or a {@code Flatten} sees the
 * same shape).
 */
final class GlobalPoolMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        if (!in.isImage()) {
            throw node.unsupported("its input has shape " + in + "; only NCHW images can be pooled globally.");
        }
        boolean max = node.op().equals("GlobalMaxPool");
        ctx.addLayer(node.output(), new GlobalPoolingLayer.Builder(max ? PoolingType.MAX : PoolingType.AVG)
                .collapseDimensions(false).build(), ActivationShape.image(in.channels(), 1, 1), node.input(0));
        if (ctx.isNonNegative(node.input(0))) {
            ctx.markNonNegative(node.output());
        }
    }
}
