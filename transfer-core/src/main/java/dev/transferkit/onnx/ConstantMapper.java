package dev.transferkit.onnx;

import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code Constant} nodes (and {@code Identity} of a constant) become constants of the import, like initialisers:
 * the weights, biases, pads and bounds that other nodes read.
 */
final class ConstantMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        if (node.op().equals("Identity")) {
            ctx.defineConstant(node.output(), ctx.constant(node.input(0)));
            return;
        }
        if (node.attributes().size() != 1) {
            throw node.unsupported("it has " + node.attributes().size() + " attributes where exactly one value "
                    + "attribute is expected.");
        }
        Onnx.AttributeProto a = node.attributes().get(0);
        INDArray value;
        switch (a.getName()) {
            case "value":
                value = OnnxTensors.toArray(a.getT(), node.describe());
                break;
            case "value_float":
                value = Nd4j.scalar(a.getF());
                break;
            case "value_floats": {
                float[] v = new float[a.getFloatsCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = a.getFloats(i);
                }
                value = Nd4j.createFromArray(v);
                break;
            }
            case "value_int":
                value = Nd4j.scalar(a.getI());
                break;
            case "value_ints":
                value = Nd4j.createFromArray(node.getInts("value_ints", new long[0]));
                break;
            default:
                throw node.unsupported("its value attribute '" + a.getName() + "' is not supported; value, "
                        + "value_float, value_floats, value_int and value_ints are.");
        }
        ctx.defineConstant(node.output(), value);
    }
}
