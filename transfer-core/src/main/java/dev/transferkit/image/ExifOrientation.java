package dev.transferkit.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the EXIF orientation tag (0x0112) of an image file and turns a TYPE_INT_RGB image upright.
 *
 * <p>The eight values: 1 upright, 2 mirrored left-right, 3 rotated 180 degrees, 4 mirrored top-bottom,
 * 5 transposed (mirrored along the main diagonal), 6 needs a 90 degree clockwise turn, 7 transversed
 * (mirrored along the anti-diagonal), 8 needs a 90 degree counter-clockwise turn.
 */
final class ExifOrientation {
    private static final Logger LOG = LoggerFactory.getLogger(ExifOrientation.class);

    private ExifOrientation() {
    }

    /**
     * Reads the orientation of a file.
     *
     * @param file the image file
     * @return 1 to 8; 1 when the file has no (valid) orientation tag or its metadata cannot be parsed
     */
    static int read(Path file) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(file.toFile());
            for (ExifIFD0Directory dir : metadata.getDirectoriesOfType(ExifIFD0Directory.class)) {
                if (dir.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                    int value = dir.getInt(ExifIFD0Directory.TAG_ORIENTATION);
                    if (value >= 1 && value <= 8) {
                        return value;
                    }
                    LOG.debug("Ignoring the invalid EXIF orientation {} of {}.", value, file);
                }
            }
        } catch (ImageProcessingException | IOException | MetadataException | RuntimeException e) {
            LOG.debug("Could not read the EXIF metadata of {}; assuming it is upright: {}", file, e.toString());
        }
        return 1;
    }

    /**
     * Turns an image upright.
     *
     * @param src         a TYPE_INT_RGB image as stored in the file
     * @param orientation the EXIF orientation, 1 to 8
     * @return {@code src} for orientation 1, else a new TYPE_INT_RGB image (width and height swapped for 5 to 8)
     */
    static BufferedImage apply(BufferedImage src, int orientation) {
        if (orientation == 1) {
            return src;
        }
        if (orientation < 1 || orientation > 8) {
            throw new IllegalArgumentException("An EXIF orientation is 1 to 8, but got " + orientation + ".");
        }
        int w = src.getWidth();
        int h = src.getHeight();
        int[] in = (int[]) src.getRaster().getDataElements(0, 0, w, h, null);
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        BufferedImage out = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                dst[y * ow + x] = in[sy * w + sx];
            }
        }
        return out;
    }
}
