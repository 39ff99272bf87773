package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * DL4J's {@code CnnToFeedForwardPreProcessor}: a c-order reshape of 4-d activations (already in DL4J's own layout)
 * into {@code [batch, features]}, without copying.
 */
final class FlattenStep implements Step {
    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        INDArray c = x.ordering() == 'c' && Shape.hasDefaultStridesForShape(x) ? x : x.dup('c');
        return c.reshape('c', x.size(0), x.length() / x.size(0));
    }

    @Override
    public boolean returnsViewOfInput() {
        return true;
    }

    @Override
    public String describe() {
        return "flatten (c-order reshape)";
    }
}
