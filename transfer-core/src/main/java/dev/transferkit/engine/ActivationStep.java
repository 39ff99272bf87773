package dev.transferkit.engine;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An activation layer, applied in place when nothing else reads its input. */
final class ActivationStep implements Step {
    private final IActivation activation;

    ActivationStep(IActivation activation) {
        this.activation = activation;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        INDArray out = x;
        if (!overwrite) {
            out = pool.take(x.shape());
            out.assign(x);
        }
        return Activations.applyInPlace(activation, out);
    }

    @Override
    public boolean canRunInPlace() {
        return true;
    }

    @Override
    public String describe() {
        return Activations.name(activation);
    }
}
