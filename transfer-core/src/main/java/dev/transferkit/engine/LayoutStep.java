package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Copies 4-d activations from one layout into the other. */
final class LayoutStep implements Step {
    private final DataFormat from;
    private final DataFormat to;
    private final int[] permutation;

    LayoutStep(DataFormat from, DataFormat to) {
        this.from = from;
        this.to = to;
        this.permutation = Layouts.permutation(from, to);
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray view = inputs[0].permute(permutation);
        INDArray out = pool.take(view.shape());
        out.assign(view);
        return out;
    }

    @Override
    public String describe() {
        return "permute " + from + "->" + to;
    }
}
