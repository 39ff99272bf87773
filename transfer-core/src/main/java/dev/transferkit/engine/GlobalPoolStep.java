package dev.transferkit.engine;

import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/** DL4J's {@code GlobalPoolingLayer} (average, maximum or sum over the spatial axes), collapsing them. */
final class GlobalPoolStep implements Step {
    private final PoolingType type;
    private final int[] axes;

    /**
     * @param type AVG, MAX or SUM
     * @param axes the axes to reduce, in the engine's layout
     */
    GlobalPoolStep(PoolingType type, int[] axes) {
        this.type = type;
        this.axes = axes.clone();
    }

    /** @return whether the engine implements the pooling type */
    static boolean supports(PoolingType type) {
        return type == PoolingType.AVG || type == PoolingType.MAX || type == PoolingType.SUM;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        return switch (type) {
            case AVG -> x.mean(axes);
            case MAX -> x.max(axes);
            case SUM -> x.sum(axes);
            default -> throw new IllegalStateException("unsupported global pooling " + type);
        };
    }

    @Override
    public String describe() {
        return "global " + type + " over axes " + Arrays.toString(axes);
    }
}
