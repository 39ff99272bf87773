package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/** A batch normalisation at inference that could not be folded into a convolution: {@code x * scale + shift} per channel. */
final class ScaleShiftStep implements Step {
    private final INDArray scale;
    private final INDArray shift;
    private final int channelAxis;

    /**
     * @param scale       one value per channel
     * @param shift       one value per channel
     * @param channelAxis the channel axis of the input
     */
    ScaleShiftStep(INDArray scale, INDArray shift, int channelAxis) {
        this.scale = scale.reshape(scale.length());
        this.shift = shift.reshape(shift.length());
        this.channelAxis = channelAxis;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        INDArray out = overwrite ? x : pool.take(x.shape());
        Nd4j.exec(new BroadcastMulOp(x, scale, out, channelAxis));
        Nd4j.exec(new BroadcastAddOp(out, shift, out, channelAxis));
        return out;
    }

    @Override
    public boolean canRunInPlace() {
        return true;
    }

    @Override
    public String describe() {
        return "scale+shift over axis " + channelAxis;
    }
}
