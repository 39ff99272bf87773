package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;

/** Axis bookkeeping between the NCHW and NHWC layouts of 4-d activations. */
final class Layouts {
    private Layouts() {
    }

    /** @return the axis of channels */
    static int channelAxis(DataFormat f) {
        return f == DataFormat.NCHW ? 1 : 3;
    }

    /** @return the axis of height */
    static int heightAxis(DataFormat f) {
        return f == DataFormat.NCHW ? 2 : 1;
    }

    /** @return the axis of width */
    static int widthAxis(DataFormat f) {
        return f == DataFormat.NCHW ? 3 : 2;
    }

    /**
     * Maps an axis of an array in one layout to the same named axis (batch, channels, height or width) in another.
     *
     * @param axis an axis 0..3 of an array in layout {@code from}
     * @param from its layout
     * @param to   the other layout
     * @return the axis in {@code to}
     */
    static int mapAxis(int axis, DataFormat from, DataFormat to) {
        String names = from.name();
        char n = names.charAt(axis < 0 ? axis + 4 : axis);
        return to.name().indexOf(n);
    }

    /**
     * @return the permutation that turns an array in layout {@code from} into one in layout {@code to}
     */
    static int[] permutation(DataFormat from, DataFormat to) {
        int[] p = new int[4];
        for (int i = 0; i < 4; i++) {
            p[i] = from.name().indexOf(to.name().charAt(i));
        }
        return p;
    }

    /** @return a shape in layout {@code f} */
    static long[] shape(DataFormat f, long n, long c, long h, long w) {
        return f == DataFormat.NCHW ? new long[]{n, c, h, w} : new long[]{n, h, w, c};
    }
}
