package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.util.Arrays;

/**
 * The shape of one example of an activation tensor, without the batch dimension: {@code [C, H, W]} for an image
 * (NCHW) or {@code [F]} for a vector.
 */
final class ActivationShape {
    private final long[] dims;

    private ActivationShape(long[] dims) {
        this.dims = dims.clone();
    }

    /**
     * @param channels channels
     * @param height   height
     * @param width    width
     * @return the shape of an NCHW image example
     */
    static ActivationShape image(long channels, long height, long width) {
        return new ActivationShape(new long[]{channels, height, width});
    }

    /**
     * @param size the vector's length
     * @return the shape of a feature-vector example
     */
    static ActivationShape vector(long size) {
        return new ActivationShape(new long[]{size});
    }

    /**
     * @param dims per-example dimensions (rank 1 or 3)
     * @return the shape
     */
    static ActivationShape of(long[] dims) {
        if (dims.length != 1 && dims.length != 3) {
            throw new IllegalArgumentException("An activation has rank 2 or 4 with its batch dimension, not "
                    + (dims.length + 1) + " (per-example dimensions " + Arrays.toString(dims) + ").");
        }
        return new ActivationShape(dims);
    }

    /** @return whether this is an image ([C, H, W]) */
    boolean isImage() {
        return dims.length == 3;
    }

    /** @return whether this is a vector ([F]) */
    boolean isVector() {
        return dims.length == 1;
    }

    /** @return the number of channels (images) or features (vectors) */
    long channels() {
        return dims[0];
    }

    /** @return the height of an image */
    long height() {
        return dims[1];
    }

    /** @return the width of an image */
    long width() {
        return dims[2];
    }

    /** @return the rank including the batch dimension */
    int rank() {
        return dims.length + 1;
    }

    /** @return the number of values per example */
    long size() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** @return a copy of the per-example dimensions */
    long[] dims() {
        return dims.clone();
    }

    /** @return the DL4J input type with this shape */
    InputType toInputType() {
        return isImage() ? InputType.convolutional(height(), width(), channels(), CNN2DFormat.NCHW)
                : InputType.feedForward(channels());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationShape && Arrays.equals(dims, ((ActivationShape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** @return e.g. {@code [N, 64, 16, 16]} */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[N");
        for (long d : dims) {
            s.append(", ").append(d);
        }
        return s.append(']').toString();
    }
}
