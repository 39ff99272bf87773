package dev.transferkit.image;

import java.awt.Color;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;

/**
 * Converts any {@link BufferedImage} to opaque 8-bit {@link BufferedImage#TYPE_INT_RGB}.
 *
 * <p>Grey and RGB images with 8- or 16-bit samples are converted from their raw samples (a grey value
 * {@code v} becomes {@code (v, v, v)}, 16-bit samples are rounded to 8 bits), as image libraries such as PIL
 * do; palettes, CMYK and other colour spaces go through the image's colour model. Transparent pixels are
 * composited onto the background: {@code c' = round((c * a + bg * (255 - a)) / 255)}.
 */
final class RgbConversion {
    private RgbConversion() {
    }

    /**
     * Converts an image to TYPE_INT_RGB.
     *
     * @param src        any image
     * @param background the colour that transparency is composited onto
     * @return {@code src} itself when it already is TYPE_INT_RGB, else a new image
     */
    static BufferedImage toRgb(BufferedImage src, Color background) {
        if (src.getType() == BufferedImage.TYPE_INT_RGB) {
            return src;
        }
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int bg = background.getRGB() & 0xFFFFFF;
        if (isPlainComponentImage(src.getColorModel())) {
            fromSamples(src, dst, bg);
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                src.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x];
                    dst[y * w + x] = composite(argb >>> 24, (argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF, bg);
                }
            }
        }
        return out;
    }

    /** True for grey or sRGB images with byte or short samples and non-premultiplied (or no) alpha. */
    private static boolean isPlainComponentImage(ColorModel cm) {
        if (!(cm instanceof ComponentColorModel) || cm.isAlphaPremultiplied()) {
            return false;
        }
        int type = cm.getTransferType();
        if (type != DataBuffer.TYPE_BYTE && type != DataBuffer.TYPE_USHORT) {
            return false;
        }
        ColorSpace cs = cm.getColorSpace();
        return cs.getType() == ColorSpace.TYPE_GRAY || cs.isCS_sRGB();
    }

    private static void fromSamples(BufferedImage src, int[] dst, int bg) {
        ColorModel cm = src.getColorModel();
        Raster raster = src.getRaster();
        int w = src.getWidth();
        int h = src.getHeight();
        int bands = raster.getNumBands();
        int colours = cm.getNumColorComponents();
        boolean alpha = cm.hasAlpha();
        int[] maxima = new int[bands];
        for (int b = 0; b < bands; b++) {
            maxima[b] = (1 << cm.getComponentSize(b)) - 1;
        }
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int p = x * bands;
                int r = to8(row[p], maxima[0]);
                int g = colours == 1 ? r : to8(row[p + 1], maxima[1]);
                int b = colours == 1 ? r : to8(row[p + 2], maxima[2]);
                int a = alpha ? to8(row[p + colours], maxima[colours]) : 255;
                dst[y * w + x] = composite(a, r, g, b, bg);
            }
        }
    }

    private static int to8(int v, int max) {
        return max == 255 ? v : (int) ((v * 255L + max / 2) / max);
    }

    /** Composites a non-premultiplied pixel onto an opaque background colour. */
    static int composite(int a, int r, int g, int b, int bg) {
        if (a == 255) {
            return (r << 16) | (g << 8) | b;
        }
        int na = 255 - a;
        int br = (bg >> 16) & 0xFF;
        int bgG = (bg >> 8) & 0xFF;
        int bb = bg & 0xFF;
        int or = (r * a + br * na + 127) / 255;
        int og = (g * a + bgG * na + 127) / 255;
        int ob = (b * a + bb * na + 127) / 255;
        return (or << 16) | (og << 8) | ob;
    }
}
