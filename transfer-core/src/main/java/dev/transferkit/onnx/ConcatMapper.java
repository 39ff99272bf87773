package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

/**
 * {@code Concat} along the channels of images or the features of vectors as a DL4J {@link MergeVertex} (a single
 * input, as DenseNet exports for its first layer, as an identity {@link ActivationLayer}).
 */
final class ConcatMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape first = ctx.shape(node, 0);
        long axis = node.getInt("axis", Long.MIN_VALUE);
        if (axis == Long.MIN_VALUE) {
            throw node.unsupported("it has no axis attribute.");
        }
        long normalised = axis < 0 ? axis + first.rank() : axis;
        if (normalised != 1) {
            throw node.unsupported("axis = " + axis + " on inputs of rank " + first.rank()
                    + " is not supported; only concatenation along dimension 1 (channels or features) is.");
        }
        long channels = 0;
        boolean nonNegative = true;
        for (int i = 0; i < node.inputs().size(); i++) {
            ActivationShape s = ctx.shape(node, i);
            long[] a = s.dims();
            long[] f = first.dims();
            a[0] = 0;
            f[0] = 0;
            if (!java.util.Arrays.equals(a, f)) {
                throw node.unsupported("its inputs have shapes " + first + " and " + s
                        + ", which differ in more than dimension 1.");
            }
            channels += s.channels();
            nonNegative &= ctx.isNonNegative(node.input(i));
        }
        ActivationShape out = first.isImage() ? ActivationShape.image(channels, first.height(), first.width())
                : ActivationShape.vector(channels);
        String[] inputs = node.inputs().toArray(new String[0]);
        if (inputs.length == 1) {
            ctx.addLayer(node.output(), new ActivationLayer.Builder().activation(new ActivationIdentity()).build(),
                    out, inputs);
        } else {
            ctx.addVertex(node.output(), new MergeVertex(), out, inputs);
        }
        if (nonNegative) {
            ctx.markNonNegative(node.output());
        }
    }
}
