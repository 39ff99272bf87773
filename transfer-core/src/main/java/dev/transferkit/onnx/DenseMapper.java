package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;

/**
 * {@code Gemm} ({@code alpha * A * B' + beta * C}, with {@code B} transposed when {@code transB = 1}) and
 * {@code MatMul} by a constant matrix, as a DL4J {@link DenseLayer} with identity activation and weights
 * {@code [in, out]}. A {@code MatMul} whose only reader is an {@code Add} of a constant vector becomes one dense layer
 * with that bias, named after the {@code Add}'s output (the {@code MatMul}'s own output then has no vertex).
 */
final class DenseMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        if (!in.isVector()) {
            throw node.unsupported("its input has shape " + in + "; only [N, features] inputs are supported "
                    + "(flatten images first).");
        }
        INDArray b = ctx.requireConstant(node, 1, "weights");
        if (b.rank() != 2) {
            throw node.unsupported("its weights have shape " + Arrays.toString(b.shape()) + "; a matrix is expected.");
        }
        INDArray weights;
        INDArray bias = null;
        String name = node.output();
        if (node.op().equals("Gemm")) {
            if (node.getInt("transA", 0) != 0) {
                throw node.unsupported("transA = 1 is not supported (the input must be [N, features]).");
            }
            double alpha = node.getFloat("alpha", 1f);
            double beta = node.getFloat("beta", 1f);
            weights = (node.getInt("transB", 0) != 0 ? b.transpose() : b).mul(alpha);
            if (!node.input(2).isEmpty()) {
                INDArray c = ctx.requireConstant(node, 2, "bias");
                bias = vectorBias(node, c, weights.size(1)).mul(beta);
            }
        } else {
            weights = b;
            OnnxNode fused = biasAdd(node, ctx, weights.size(1));
            if (fused != null) {
                INDArray c = ctx.constant(fused.input(fused.input(0).equals(node.output()) ? 1 : 0));
                bias = vectorBias(fused, c, weights.size(1));
                name = fused.output();
                ctx.markDone(fused);
            }
        }
        if (weights.size(0) != in.channels()) {
            throw node.unsupported("its weights take " + weights.size(0) + " features but its input " + in + " has "
                    + in.channels() + ".");
        }
        long out = weights.size(1);
        DenseLayer layer = new DenseLayer.Builder().nIn(in.channels()).nOut(out).hasBias(bias != null)
                .activation(new ActivationIdentity()).build();
        ctx.addLayer(name, layer, ActivationShape.vector(out), node.input(0));
        ctx.param(name, "W", weights.dup('c'));
        if (bias != null) {
            ctx.param(name, "b", bias.reshape(1, out));
        }
    }

    /** The Add node to fuse as the MatMul's bias, or null. */
    private static OnnxNode biasAdd(OnnxNode matMul, ImportContext ctx, long out) {
        String tensor = matMul.output();
        List<OnnxNode> readers = ctx.consumers(tensor);
        if (readers.size() != 1 || ctx.isGraphOutput(tensor)) {
            return null;
        }
        OnnxNode add = readers.get(0);
        if (!add.op().equals("Add") || add.inputs().size() != 2) {
            return null;
        }
        String other = add.input(0).equals(tensor) ? add.input(1) : add.input(0);
        return ctx.isConstant(other) && ctx.constant(other).length() == out ? add : null;
    }

    private static INDArray vectorBias(OnnxNode node, INDArray c, long out) {
        if (c.length() == 1) {
            return Nd4j.valueArrayOf(new long[]{out}, c.getFloat(0));
        }
        if (c.length() != out || (c.rank() == 2 && c.size(0) != 1)) {
            throw node.unsupported("its bias has shape " + Arrays.toString(c.shape()) + "; a vector of " + out
                    + " values (or a scalar) is expected.");
        }
        return c.reshape(out);
    }
}
