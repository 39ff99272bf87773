package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * {@code Flatten} with axis 1 and {@code Reshape} to {@code [N, C*H*W]}: each example flattened in C order, which is
 * what DL4J's {@link CnnToFeedForwardPreProcessor} does for NCHW, in a {@link PreprocessorVertex} (of a vector, an
 * identity {@link ActivationLayer}).
 */
final class FlattenMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        if (node.op().equals("Flatten")) {
            long axis = node.getInt("axis", 1);
            if (axis != 1 && axis != 1 - in.rank()) {
                throw node.unsupported("axis = " + axis + " is not supported; only axis = 1 (keep the batch "
                        + "dimension, flatten each example) is.");
            }
        } else {
            INDArray target = ctx.requireConstant(node, 1, "target shape");
            long[] shape = target.toLongVector();
            if (node.getInt("allowzero", 0) != 0 && Arrays.stream(shape).anyMatch(d -> d == 0)) {
                throw node.unsupported("allowzero = 1 with a zero in the target shape is not supported.");
            }
            boolean flattens = shape.length == 2 && (shape[0] == 0 || shape[0] == -1 || shape[0] > 0)
                    && (shape[1] == in.size() || (shape[1] == -1 && shape[0] != -1) || (shape[1] == 0 && in.isVector()));
            if (!flattens) {
                throw node.unsupported("the target shape " + Arrays.toString(shape) + " of an input " + in
                        + " does not flatten each example; only reshapes to [N, " + in.size() + "] are supported.");
            }
        }
        ActivationShape out = ActivationShape.vector(in.size());
        if (in.isImage()) {
            ctx.addVertex(node.output(), new PreprocessorVertex(new CnnToFeedForwardPreProcessor(in.height(),
                    in.width(), in.channels())), out, node.input(0));
        } else {
            ctx.addLayer(node.output(), new ActivationLayer.Builder().activation(new ActivationIdentity()).build(),
                    out, node.input(0));
        }
        if (ctx.isNonNegative(node.input(0))) {
            ctx.markNonNegative(node.output());
        }
    }
}
