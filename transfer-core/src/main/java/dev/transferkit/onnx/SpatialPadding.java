package dev.transferkit.onnx;

/**
 * The padding and output size of a convolution or pooling window along one spatial axis, as ONNX defines them
 * ({@code auto_pad}, {@code pads}, {@code ceil_mode}).
 *
 * @param begin padding before the first element (top or left)
 * @param end   padding after the last element (bottom or right)
 * @param out   the output size
 */
record SpatialPadding(long begin, long end, long out) {

    /** @return whether the padding is the same on both sides */
    boolean symmetric() {
        return begin == end;
    }

    /**
     * Resolves the padding of one axis.
     *
     * @param node     the node, for error messages
     * @param autoPad  the {@code auto_pad} attribute: NOTSET, VALID, SAME_UPPER or SAME_LOWER
     * @param in       the input size
     * @param kernel   the window size
     * @param stride   the stride
     * @param dilation the dilation
     * @param padBegin the explicit padding before (used with NOTSET)
     * @param padEnd   the explicit padding after (used with NOTSET)
     * @param ceil     whether the output size rounds up ({@code ceil_mode = 1})
     * @return the padding and output size
     * @throws OnnxImportException for an unknown auto_pad value or a window larger than the padded input
     */
    static SpatialPadding resolve(OnnxNode node, String autoPad, long in, long kernel, long stride, long dilation,
                                  long padBegin, long padEnd, boolean ceil) {
        long effective = (kernel - 1) * dilation + 1;
        switch (autoPad) {
            case "NOTSET": {
                if (padBegin < 0 || padEnd < 0) {
                    throw node.unsupported("the pads " + padBegin + " and " + padEnd + " are negative.");
                }
                long span = in + padBegin + padEnd - effective;
                if (span < 0) {
                    throw node.unsupported("the window of " + effective + " (kernel " + kernel + ", dilation "
                            + dilation + ") is larger than the padded input of " + (in + padBegin + padEnd) + ".");
                }
                long out = ceil ? Math.floorDiv(span + stride - 1, stride) + 1 : span / stride + 1;
                if (ceil && (out - 1) * stride >= in + padBegin) {
                    out--; // the last window must start inside the input or its leading padding
                }
                return new SpatialPadding(padBegin, padEnd, out);
            }
            case "VALID": {
                if (in < effective) {
                    throw node.unsupported("the window of " + effective + " is larger than the input of " + in + ".");
                }
                return new SpatialPadding(0, 0, (in - effective) / stride + 1);
            }
            case "SAME_UPPER":
            case "SAME_LOWER": {
                long out = Math.floorDiv(in + stride - 1, stride);
                long total = Math.max(0, (out - 1) * stride + effective - in);
                long small = total / 2;
                return autoPad.equals("SAME_UPPER") ? new SpatialPadding(small, total - small, out)
                        : new SpatialPadding(total - small, small, out);
            }
            default:
                throw node.unsupported("auto_pad = '" + autoPad
                        + "' is not one of NOTSET, VALID, SAME_UPPER and SAME_LOWER.");
        }
    }

    /**
     * The output size DL4J computes in {@code ConvolutionMode.Truncate} with symmetric padding.
     *
     * @param in       the input size
     * @param kernel   the window size
     * @param stride   the stride
     * @param dilation the dilation
     * @param pad      the padding on each side
     * @return the output size
     */
    static long truncateOut(long in, long kernel, long stride, long dilation, long pad) {
        return (in + 2 * pad - ((kernel - 1) * dilation + 1)) / stride + 1;
    }
}
