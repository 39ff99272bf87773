package dev.transferkit.engine;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A dense layer: {@code activation(x · W + b)} with one matrix product into a reused buffer. */
final class DenseStep implements Step {
    private final INDArray weights;
    private final INDArray bias;
    private final IActivation activation;

    /**
     * @param weights    {@code [in, out]}
     * @param bias       {@code [1, out]}, or null
     * @param activation applied in place, or null
     */
    DenseStep(INDArray weights, INDArray bias, IActivation activation) {
        this.weights = weights;
        this.bias = bias;
        this.activation = activation;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        INDArray out = pool.take(x.size(0), weights.size(1));
        Nd4j.gemm(x, weights, out, false, false, 1.0, 0.0);
        if (bias != null) {
            out.addiRowVector(bias);
        }
        return Activations.applyInPlace(activation, out);
    }

    @Override
    public String describe() {
        return "gemm " + weights.size(0) + "x" + weights.size(1) + (bias != null ? " +bias" : "")
                + (Activations.isIdentity(activation) ? "" : " " + Activations.name(activation));
    }
}
