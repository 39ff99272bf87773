package dev.transferkit.image;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * Decodes a large baseline or progressive YCbCr (or grey) JPEG at 1/2, 1/4 or 1/8 of its size in the DCT domain,
 * through OpenCV's libjpeg-turbo ({@code IMREAD_REDUCED_COLOR_*}), when the image is still at least as large as the
 * network's input afterwards: a 3000x2000 photo for a 224x224 network is decoded as 375x250, skipping most of the
 * inverse DCT and colour conversion. Everything else (other formats, Adobe/CMYK/YCCK JPEGs, files without an end
 * marker, small images) returns null and goes through ImageIO as before, so colour handling, EXIF orientation (applied
 * afterwards, as for every image) and error reporting stay those of {@link ImageDecoder}.
 */
final class ReducedJpeg {
    private static final Logger LOG = LoggerFactory.getLogger(ReducedJpeg.class);
    private static final int[] FLAGS = {0, opencv_imgcodecs.IMREAD_REDUCED_COLOR_2, opencv_imgcodecs.IMREAD_REDUCED_COLOR_4,
            opencv_imgcodecs.IMREAD_REDUCED_COLOR_8};
    private static volatile Boolean available;

    private ReducedJpeg() {
    }

    /**
     * The reduction that keeps an image at least {@code minSide} pixels on its shorter side.
     *
     * @param width   the image width
     * @param height  the image height
     * @param minSide the smallest acceptable shorter side
     * @return 0 for none, or 1, 2, 3 for 1/2, 1/4, 1/8
     */
    static int reduction(int width, int height, int minSide) {
        int shorter = Math.min(width, height);
        int r = 0;
        while (r < 3 && shorter >> (r + 1) >= minSide) {
            r++;
        }
        return r;
    }

    /**
     * Decodes a JPEG file's bytes at reduced size.
     *
     * @param bytes     the whole file
     * @param reduction 1, 2 or 3 (see {@link #reduction})
     * @return a TYPE_INT_RGB image, or null when this decoder does not take the file (ImageIO should)
     */
    static BufferedImage decode(byte[] bytes, int reduction) {
        if (reduction < 1 || !eligible(bytes) || !available()) {
            return null;
        }
        try (BytePointer data = new BytePointer(bytes);
             Mat buffer = new Mat(1, bytes.length, opencv_core.CV_8UC1, data);
             Mat bgr = opencv_imgcodecs.imdecode(buffer, FLAGS[reduction] | opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION)) {
            if (bgr == null || bgr.empty() || bgr.channels() != 3 || bgr.depth() != opencv_core.CV_8U || !bgr.isContinuous()) {
                return null;
            }
            int w = bgr.cols();
            int h = bgr.rows();
            byte[] px = new byte[w * h * 3];
            bgr.data().get(px);
            BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int[] out = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
            for (int i = 0, j = 0; i < out.length; i++, j += 3) {
                out[i] = (px[j + 2] & 0xff) << 16 | (px[j + 1] & 0xff) << 8 | (px[j] & 0xff);
            }
            return image;
        }
    }

    /** @return whether the bytes are a JPEG with an end marker, 1 or 3 components and no Adobe (CMYK/YCCK/RGB) marker */
    static boolean eligible(byte[] b) {
        int n = b.length;
        if (n < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8 || (b[n - 2] & 0xff) != 0xFF || (b[n - 1] & 0xff) != 0xD9) {
            return false;
        }
        int i = 2;
        while (i + 4 <= n) {
            if ((b[i] & 0xff) != 0xFF) {
                return false;
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            int length = (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
            if (marker == 0xEE) {
                return false; // Adobe APP14: leave CMYK, YCCK and Adobe RGB to the ImageIO path
            }
            if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
                if (i + 9 >= n) {
                    return false;
                }
                int components = b[i + 9] & 0xff;
                return components == 3 || components == 1;
            }
            if (marker == 0xDA || length < 2) {
                return false; // scan before any frame header
            }
            i += 2 + length;
        }
        return false;
    }

    private static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (ReducedJpeg.class) {
                if (available == null) {
                    try {
                        org.bytedeco.javacpp.Loader.load(opencv_imgcodecs.class);
                        available = true;
                    } catch (Throwable e) {
                        LOG.info("OpenCV's JPEG decoder cannot load on {} {} ({}); large JPEGs are decoded at full size.",
                                System.getProperty("os.name"), System.getProperty("os.arch"), e.toString());
                        available = false;
                    }
                }
                a = available;
            }
        }
        return a;
    }
}
