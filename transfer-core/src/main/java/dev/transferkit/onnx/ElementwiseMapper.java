package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * {@code Add} and {@code Mul}. Two computed tensors of one shape: DL4J's {@link ElementWiseVertex}; of shapes that
 * broadcast (the squeeze-and-excitation gate {@code [N, C, H, W] * [N, C, 1, 1]}): a
 * {@link BroadcastElementWiseVertex}. A computed tensor and a scalar constant: a {@link ShiftVertex} or a
 * {@link ScaleVertex}. (A constant bias after {@code MatMul} is fused into the dense layer by {@link DenseMapper}.)
 */
final class ElementwiseMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        boolean add = node.op().equals("Add");
        if (node.inputs().size() != 2) {
            throw node.unsupported("it has " + node.inputs().size() + " inputs where 2 are expected.");
        }
        String a = node.input(0);
        String b = node.input(1);
        if (ctx.isConstant(a) || ctx.isConstant(b)) {
            int constantInput = ctx.isConstant(a) ? 0 : 1;
            INDArray constant = ctx.constant(node.input(constantInput));
            ActivationShape shape = ctx.shape(node, 1 - constantInput);
            if (constant.length() != 1) {
                throw node.unsupported("its input " + constantInput + " is a constant of shape "
                        + Arrays.toString(constant.shape()) + "; only scalar constants (or a bias after MatMul) "
                        + "are supported with a computed tensor.");
            }
            double value = constant.getDouble(0);
            ctx.addVertex(node.output(), add ? new ShiftVertex(value) : new ScaleVertex(value), shape,
                    node.input(1 - constantInput));
            return;
        }
        ActivationShape sa = ctx.shape(node, 0);
        ActivationShape sb = ctx.shape(node, 1);
        ElementWiseVertex.Op op = add ? ElementWiseVertex.Op.Add : ElementWiseVertex.Op.Product;
        if (sa.equals(sb)) {
            ctx.addVertex(node.output(), new ElementWiseVertex(op), sa, a, b);
        } else {
            if (sa.rank() != sb.rank()) {
                throw node.unsupported("its inputs have shapes " + sa + " and " + sb
                        + "; broadcasting between tensors of different ranks is not supported.");
            }
            long[] da = sa.dims();
            long[] db = sb.dims();
            long[] out = new long[da.length];
            for (int i = 0; i < da.length; i++) {
                if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
                    throw node.unsupported("its inputs have shapes " + sa + " and " + sb + ", which do not broadcast.");
                }
                out[i] = Math.max(da[i], db[i]);
            }
            ctx.addVertex(node.output(), new BroadcastElementWiseVertex(op), ActivationShape.of(out), a, b);
        }
        if (ctx.isNonNegative(a) && ctx.isNonNegative(b)) {
            ctx.markNonNegative(node.output());
        }
    }
}
