package dev.transferkit.image;

/**
 * The input a network expects: image height and width in pixels, channel count and memory layout.
 *
 * @param height   image height in pixels
 * @param width    image width in pixels
 * @param channels number of channels (3 for RGB networks)
 * @param format   the layout of a batch
 */
public record InputSpec(int height, int width, int channels, DataFormat format) {
    /**
     * Validates the spec.
     *
     * @throws IllegalArgumentException when a size is not positive or the format is null
     */
    public InputSpec {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new IllegalArgumentException("An input spec needs positive sizes, but got height " + height
                    + ", width " + width + " and channels " + channels + ".");
        }
        if (format == null) {
            throw new IllegalArgumentException("An input spec needs a data format (NCHW or NHWC), but got null.");
        }
    }

    /**
     * Returns the shape of a batch of {@code n} images in this layout.
     *
     * @param n the batch size
     * @return {@code [n, c, h, w]} for NCHW or {@code [n, h, w, c]} for NHWC
     */
    public long[] batchShape(int n) {
        return format == DataFormat.NCHW
                ? new long[]{n, channels, height, width}
                : new long[]{n, height, width, channels};
    }

    @Override
    public String toString() {
        return height + "x" + width + "x" + channels + " " + format;
    }
}
