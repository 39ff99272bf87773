package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** DL4J's {@code MergeVertex}: native {@code concat} along one axis into a reused buffer. */
final class ConcatStep implements Step {
    private final int axis;

    ConcatStep(int axis) {
        this.axis = axis;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        if (inputs.length == 1) {
            INDArray out = pool.take(inputs[0].shape());
            return out.assign(inputs[0]);
        }
        long[] shape = inputs[0].shape().clone();
        shape[axis] = 0;
        for (INDArray in : inputs) {
            shape[axis] += in.size(axis);
        }
        INDArray out = pool.take(shape);
        Nd4j.exec(DynamicCustomOp.builder("concat").addInputs(inputs).addOutputs(out).addIntegerArguments(axis).build());
        return out;
    }

    @Override
    public String describe() {
        return "concat axis " + axis;
    }
}
