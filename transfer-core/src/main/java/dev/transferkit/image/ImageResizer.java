package dev.transferkit.image;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.Arrays;
import java.util.Objects;

/**
 * Resizes images with an antialiased bilinear (triangle) filter, the filter PIL's {@code Image.resize(BILINEAR)}
 * and torchvision's {@code antialias=True} use: when shrinking, the filter widens with the scale factor so every
 * source pixel contributes (no aliasing); when enlarging it is plain bilinear interpolation between pixel
 * centres. The filter is separable and computed in pure Java arithmetic, so results are identical on every
 * machine.
 */
public final class ImageResizer {
    private ImageResizer() {
    }

    /**
     * Brings an image to a target size.
     *
     * @param image      any image; it is converted to RGB first (transparency composited onto {@code background})
     * @param width      target width in pixels
     * @param height     target height in pixels
     * @param policy     how the aspect ratio is handled
     * @param background fill colour for {@link ResizePolicy#LETTERBOX} bars and transparent pixels
     * @return a TYPE_INT_RGB image of exactly {@code width x height}; the input itself when it already is a
     *         TYPE_INT_RGB image of that size
     * @throws IllegalArgumentException when the target size is not positive
     */
    public static BufferedImage resize(BufferedImage image, int width, int height, ResizePolicy policy, Color background) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(background, "background");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("A resize target must be positive, but got " + width + " x " + height + ".");
        }
        BufferedImage src = RgbConversion.toRgb(image, background);
        int sw = src.getWidth();
        int sh = src.getHeight();
        if (sw == width && sh == height) {
            return src;
        }
        int[] pixels = (int[]) src.getRaster().getDataElements(0, 0, sw, sh, null);
        return switch (policy) {
            case SQUASH -> image(resample(pixels, sw, sh, 0, 0, sw, sh, width, height), width, height);
            case CENTER_CROP -> {
                double scale = Math.max((double) width / sw, (double) height / sh);
                double cw = Math.min(sw, width / scale);
                double ch = Math.min(sh, height / scale);
                yield image(resample(pixels, sw, sh, (sw - cw) / 2, (sh - ch) / 2, cw, ch, width, height), width, height);
            }
            case LETTERBOX -> {
                double scale = Math.min((double) width / sw, (double) height / sh);
                int nw = (int) Math.max(1, Math.min(width, Math.round(sw * scale)));
                int nh = (int) Math.max(1, Math.min(height, Math.round(sh * scale)));
                int[] fitted = resample(pixels, sw, sh, 0, 0, sw, sh, nw, nh);
                int[] canvas = new int[width * height];
                Arrays.fill(canvas, background.getRGB() & 0xFFFFFF);
                int ox = (width - nw) / 2;
                int oy = (height - nh) / 2;
                for (int y = 0; y < nh; y++) {
                    System.arraycopy(fitted, y * nw, canvas, (oy + y) * width + ox, nw);
                }
                yield image(canvas, width, height);
            }
        };
    }

    private static BufferedImage image(int[] pixels, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        System.arraycopy(pixels, 0, dst, 0, pixels.length);
        return out;
    }

    /**
     * Resamples the box {@code [bx, bx+bw) x [by, by+bh)} of a packed RGB image to {@code tw x th} pixels.
     */
    static int[] resample(int[] src, int sw, int sh, double bx, double by, double bw, double bh, int tw, int th) {
        Filter fx = Filter.of(sw, bx, bw, tw);
        Filter fy = Filter.of(sh, by, bh, th);
        int y0 = fy.first[0];
        int y1 = fy.first[th - 1] + fy.length[th - 1];
        int rows = y1 - y0;
        // Horizontal pass over the rows the vertical pass needs, kept as floats (three planes).
        float[] r = new float[rows * tw];
        float[] g = new float[rows * tw];
        float[] b = new float[rows * tw];
        for (int y = 0; y < rows; y++) {
            int rowStart = (y0 + y) * sw;
            for (int x = 0; x < tw; x++) {
                float sr = 0;
                float sg = 0;
                float sb = 0;
                int first = fx.first[x];
                int base = x * fx.stride;
                for (int k = 0; k < fx.length[x]; k++) {
                    int p = src[rowStart + first + k];
                    float wgt = fx.weights[base + k];
                    sr += ((p >> 16) & 0xFF) * wgt;
                    sg += ((p >> 8) & 0xFF) * wgt;
                    sb += (p & 0xFF) * wgt;
                }
                r[y * tw + x] = sr;
                g[y * tw + x] = sg;
                b[y * tw + x] = sb;
            }
        }
        int[] out = new int[tw * th];
        for (int y = 0; y < th; y++) {
            int first = fy.first[y] - y0;
            int base = y * fy.stride;
            for (int x = 0; x < tw; x++) {
                float sr = 0;
                float sg = 0;
                float sb = 0;
                for (int k = 0; k < fy.length[y]; k++) {
                    int i = (first + k) * tw + x;
                    float wgt = fy.weights[base + k];
                    sr += r[i] * wgt;
                    sg += g[i] * wgt;
                    sb += b[i] * wgt;
                }
                out[y * tw + x] = (clamp(sr) << 16) | (clamp(sg) << 8) | clamp(sb);
            }
        }
        return out;
    }

    private static int clamp(float v) {
        int i = (int) (v + 0.5f);
        return i < 0 ? 0 : Math.min(i, 255);
    }

    /** The normalised triangle-filter taps of every output position along one axis. */
    private static final class Filter {
        final int[] first;
        final int[] length;
        final float[] weights;
        final int stride;

        private Filter(int[] first, int[] length, float[] weights, int stride) {
            this.first = first;
            this.length = length;
            this.weights = weights;
            this.stride = stride;
        }

        /**
         * @param size   source length in pixels
         * @param start  start of the source box (may be fractional)
         * @param extent length of the source box
         * @param out    number of output pixels
         */
        static Filter of(int size, double start, double extent, int out) {
            double scale = extent / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale;
            int lo = Math.max(0, (int) Math.floor(start));
            int hi = Math.min(size, (int) Math.ceil(start + extent));
            int stride = (int) Math.ceil(support) * 2 + 2;
            int[] first = new int[out];
            int[] length = new int[out];
            float[] weights = new float[out * stride];
            double[] w = new double[stride];
            for (int i = 0; i < out; i++) {
                double center = start + (i + 0.5) * scale;
                int a = Math.max(lo, (int) Math.floor(center - support));
                int b = Math.min(hi, (int) Math.ceil(center + support));
                b = Math.min(b, a + stride);
                double sum = 0;
                for (int j = a; j < b; j++) {
                    double t = 1.0 - Math.abs((j + 0.5 - center) / filterScale);
                    w[j - a] = t > 0 ? t : 0;
                    sum += w[j - a];
                }
                if (sum <= 0) {
                    // Cannot happen for a non-empty box; keep the nearest pixel rather than divide by zero.
                    int nearest = Math.min(hi - 1, Math.max(lo, (int) Math.floor(center)));
                    a = nearest;
                    b = nearest + 1;
                    w[0] = 1;
                    sum = 1;
                }
                first[i] = a;
                length[i] = b - a;
                for (int j = 0; j < b - a; j++) {
                    weights[i * stride + j] = (float) (w[j] / sum);
                }
            }
            return new Filter(first, length, weights, stride);
        }
    }
}
