package dev.transferkit.image;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Decodes an image file into an upright, opaque {@link BufferedImage#TYPE_INT_RGB} image.
 *
 * <p>Supported formats are JPEG (including CMYK/YCCK), PNG, GIF (the first frame), BMP and WebP. The format is
 * detected from the file's content, never from its extension. The width and height are read from the header
 * first and images larger than {@link ImageOptions#maxPixels()} are refused before any pixel is decoded. Grey,
 * palette, 16-bit and CMYK images are converted to 8-bit RGB, transparency is composited onto
 * {@link ImageOptions#background()}, and the EXIF orientation is applied when
 * {@link ImageOptions#applyExifOrientation()} is set. Every failure is an {@link ImageDecodeException} naming
 * the file. Instances are immutable and thread-safe.
 */
public final class ImageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    /** The ImageIO format names this decoder accepts (lower case). */
    private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "bmp", "webp");
    /** Formats whose files may carry an EXIF orientation. */
    private static final Set<String> EXIF_FORMATS = Set.of("jpeg", "png", "webp");
    /** Formats whose signature is so weak that their readers claim random bytes; never named in messages. */
    private static final Set<String> WEAK_SIGNATURES = Set.of("wbmp", "raw");
    /** Reader warnings that mean pixels are missing or garbage rather than a harmless oddity. */
    private static final List<String> FATAL_WARNINGS = List.of("premature end", "bad huffman", "truncated");
    private static final String SUPPORTED = "JPEG, PNG, GIF, BMP or WebP";

    private final ImageOptions options;

    /**
     * Creates a decoder.
     *
     * @param options background, pixel limit and orientation handling
     */
    public ImageDecoder(ImageOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** @return the options this decoder applies */
    public ImageOptions options() {
        return options;
    }

    /**
     * Decodes an image file.
     *
     * @param file the image file
     * @return the upright image, TYPE_INT_RGB
     * @throws ImageDecodeException when the file is missing, a directory, a pipe or device, unreadable, empty, not an image in a
     *                              supported format, truncated or corrupt, or has more pixels than allowed
     */
    public BufferedImage decode(Path file) {
        return decode(file, 0);
    }

    /**
     * Decodes an image file that will be shrunk to a given size: a large JPEG may come back reduced by 2, 4 or 8 in the
     * DCT domain (libjpeg-turbo through OpenCV, much faster than decoding every pixel), never below {@code minSide}
     * on its shorter side. Orientation, colour handling and errors are as for {@link #decode(Path)}.
     *
     * @param file    the image file
     * @param minSide the smallest shorter side the caller needs, e.g. the larger side of a network's input; 0 for the
     *                full size
     * @return the upright image, TYPE_INT_RGB
     * @throws ImageDecodeException as {@link #decode(Path)}
     */
    public BufferedImage decode(Path file, int minSide) {
        Objects.requireNonNull(file, "file");
        checkFile(file);
        Decoded decoded = read(file, minSide);
        BufferedImage rgb = RgbConversion.toRgb(decoded.image, options.background());
        if (options.applyExifOrientation() && EXIF_FORMATS.contains(decoded.format)) {
            rgb = ExifOrientation.apply(rgb, ExifOrientation.read(file));
        }
        return rgb;
    }

    private static void checkFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new ImageDecodeException(file, "it is a directory, not an image file");
        }
        if (!Files.exists(file)) {
            throw new ImageDecodeException(file, "it does not exist");
        }
        if (!Files.isRegularFile(file)) {
            // A named pipe or device would block or never end; its size (0) says nothing about its content.
            throw new ImageDecodeException(file, "it is not a regular file (a pipe, socket or device)");
        }
        if (!Files.isReadable(file)) {
            throw new ImageDecodeException(file, "it is not readable; check its permissions");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ImageDecodeException(file, "its size could not be read (" + e + ")", e);
        }
        if (size == 0) {
            throw new ImageDecodeException(file, "it is empty (0 bytes)");
        }
    }

    private record Decoded(BufferedImage image, String format) {
    }

    private Decoded read(Path file, int minSide) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new ImageDecodeException(file, "no image input stream could be opened on it");
            }
            ImageReader reader = findReader(file, in);
            try {
                String format = reader.getOriginatingProvider().getFormatNames()[0].toLowerCase(Locale.ROOT);
                reader.setInput(in, false, true);
                checkSize(file, reader);
                if (minSide > 0 && "jpeg".equals(canonical(format))) {
                    int reduction = ReducedJpeg.reduction(reader.getWidth(0), reader.getHeight(0), minSide);
                    BufferedImage reduced = reduction == 0 ? null : ReducedJpeg.decode(Files.readAllBytes(file), reduction);
                    if (reduced != null) {
                        return new Decoded(reduced, "jpeg");
                    }
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                checkWarnings(file, warnings);
                return new Decoded(image, canonical(format));
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (EOFException e) {
            throw new ImageDecodeException(file, "it is truncated (the data ends early)", e);
        } catch (IIOException e) {
            throw new ImageDecodeException(file, "its data is truncated or corrupt (" + describe(e) + ")", e);
        } catch (IOException e) {
            throw new ImageDecodeException(file, "it could not be read (" + describe(e) + ")", e);
        } catch (RuntimeException e) {
            // Readers throw IndexOutOfBounds, IllegalArgument, NegativeArraySize... on malformed data.
            throw new ImageDecodeException(file, "its data is corrupt (" + describe(e) + ")", e);
        }
    }

    /** Picks the first reader whose format is supported; the readers come from the file's content. */
    private static ImageReader findReader(Path file, ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        String unsupported = null;
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String format = canonical(reader.getOriginatingProvider().getFormatNames()[0].toLowerCase(Locale.ROOT));
            if (FORMATS.contains(format)) {
                return reader;
            }
            if (unsupported == null && !WEAK_SIGNATURES.contains(format)) {
                unsupported = format.toUpperCase(Locale.ROOT);
            }
            reader.dispose();
        }
        if (unsupported != null) {
            throw new ImageDecodeException(file, "it is a " + unsupported + " image, which is not supported; use "
                    + SUPPORTED);
        }
        throw new ImageDecodeException(file, "it is not an image in a supported format (" + SUPPORTED
                + "); the format is detected from the content, not the extension");
    }

    private static String canonical(String format) {
        return switch (format) {
            case "jpg", "jpeg-lossless", "jpeg-ls" -> "jpeg";
            case "tif" -> "tiff";
            default -> format;
        };
    }

    private void checkSize(Path file, ImageReader reader) throws IOException {
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
            throw new ImageDecodeException(file, "its header gives an invalid size of " + w + " x " + h + " pixels");
        }
        long pixels = (long) w * h;
        if (pixels > options.maxPixels()) {
            throw new ImageDecodeException(file, "it is " + w + " x " + h + " = " + pixels
                    + " pixels, more than the limit of " + options.maxPixels()
                    + " pixels (ImageOptions.optMaxPixels); raise the limit only if the file is trusted");
        }
    }

    private static void checkWarnings(Path file, List<String> warnings) {
        for (String warning : warnings) {
            String lower = warning.toLowerCase(Locale.ROOT);
            for (String fatal : FATAL_WARNINGS) {
                if (lower.contains(fatal)) {
                    throw new ImageDecodeException(file, "its data is truncated or corrupt (" + warning.trim() + ")");
                }
            }
            LOG.debug("Decoding {} gave a warning: {}", file, warning.trim());
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    @Override
    public String toString() {
        return "ImageDecoder(" + options + ")";
    }
}
