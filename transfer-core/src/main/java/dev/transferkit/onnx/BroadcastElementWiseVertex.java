package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An element-wise sum or product of two image activations with NumPy broadcasting over the channel and spatial
 * dimensions, e.g. the squeeze-and-excitation gate {@code [N, C, H, W] * [N, C, 1, 1]}. DL4J's own
 * {@link ElementWiseVertex} computes and back-propagates broadcast inputs (the gradient of a broadcast input is
 * summed over the dimensions it was broadcast along) but its configuration rejects image inputs of different
 * sizes; this vertex accepts them and reports the broadcast output size. Serialisable with DL4J's JSON configuration.
 */
public class BroadcastElementWiseVertex extends ElementWiseVertex {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the vertex.
     *
     * @param op {@link ElementWiseVertex.Op#Add} or {@link ElementWiseVertex.Op#Product}
     */
    @JsonCreator
    public BroadcastElementWiseVertex(@JsonProperty("op") Op op) {
        super(op);
        if (op != Op.Add && op != Op.Product) {
            throw new IllegalArgumentException("A broadcasting element-wise vertex adds or multiplies; " + op
                    + " is not supported.");
        }
    }

    @Override
    public BroadcastElementWiseVertex clone() {
        return new BroadcastElementWiseVertex(op);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BroadcastElementWiseVertex && ((BroadcastElementWiseVertex) o).op == op;
    }

    @Override
    public int hashCode() {
        return 31 * BroadcastElementWiseVertex.class.hashCode() + op.hashCode();
    }

    @Override
    public int maxVertexInputs() {
        return 2;
    }

    /**
     * Computes the broadcast output type of two image inputs (other input types as {@link ElementWiseVertex} does).
     *
     * @param layerIndex  the vertex index
     * @param vertexInputs the two input types
     * @return the output type
     * @throws InvalidInputTypeException when the image sizes cannot be broadcast together
     */
    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) throws InvalidInputTypeException {
        if (vertexInputs.length != 2 || vertexInputs[0].getType() != InputType.Type.CNN
                || vertexInputs[1].getType() != InputType.Type.CNN) {
            return super.getOutputType(layerIndex, vertexInputs);
        }
        InputType.InputTypeConvolutional a = (InputType.InputTypeConvolutional) vertexInputs[0];
        InputType.InputTypeConvolutional b = (InputType.InputTypeConvolutional) vertexInputs[1];
        return InputType.convolutional(broadcast(a.getHeight(), b.getHeight(), "height"),
                broadcast(a.getWidth(), b.getWidth(), "width"),
                broadcast(a.getChannels(), b.getChannels(), "channels"), a.getFormat());
    }

    /**
     * Broadcasts one dimension.
     *
     * @param a    the first size
     * @param b    the second size
     * @param what the dimension, for the error message
     * @return the broadcast size
     * @throws InvalidInputTypeException when neither size is 1 and they differ
     */
    static long broadcast(long a, long b, String what) {
        if (a == b || b == 1) {
            return a;
        }
        if (a == 1) {
            return b;
        }
        throw new InvalidInputTypeException("Cannot broadcast " + what + " " + a + " with " + what + " " + b
                + ": the sizes must be equal or one of them 1.");
    }
}
