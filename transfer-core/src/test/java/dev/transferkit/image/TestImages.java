package dev.transferkit.image;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/** Generates small test images in every format and layout the decoder must handle. */
public final class TestImages {
    private TestImages() {
    }

    /** An opaque image filled with one colour. */
    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    /** An image whose four quadrants have the colours top-left, top-right, bottom-left, bottom-right. */
    static BufferedImage quadrants(int w, int h, int tl, int tr, int bl, int br) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean left = x < w / 2;
                boolean top = y < h / 2;
                img.setRGB(x, y, top ? (left ? tl : tr) : (left ? bl : br));
            }
        }
        return img;
    }

    /**
     * Writes an opaque image that shades from {@code rgb} to the right and downwards, in the format of the file's
     * extension ({@code png}, {@code jpg}, ...): an image whose classification is unlikely to be a tie, for the tests
     * of other modules that classify files.
     *
     * @param file   the file to write
     * @param width  its width
     * @param height its height
     * @param rgb    the colour at the top left
     * @return the file
     */
    public static Path gradient(Path file, int width, int height, int rgb) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, rgb + x * 7 + y * 5 * 256);
            }
        }
        String name = file.getFileName().toString();
        return write(img, name.substring(name.lastIndexOf('.') + 1), file);
    }

    /** Writes an image with ImageIO and returns the file. */
    static Path write(BufferedImage img, String format, Path file) {
        try {
            if (!ImageIO.write(img, format, file.toFile())) {
                throw new IllegalStateException("No ImageIO writer for " + format + " and " + img);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes a JPEG at high quality. */
    static byte[] jpeg(BufferedImage img) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** Inserts an APP1 EXIF segment holding only the orientation tag right after the JPEG's SOI marker. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(26).order(ByteOrder.BIG_ENDIAN);
        tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8); // header, IFD0 at offset 8
        tiff.putShort((short) 1);                                            // one entry
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);         // Orientation, SHORT, count 1
        tiff.putShort((short) orientation).putShort((short) 0);              // value, padded to 4 bytes
        tiff.putInt(0);                                                      // no next IFD
        byte[] exif = "Exif\0\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + exif.length + tiff.capacity();
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        segment.write(0xFF);
        segment.write(0xE1);
        segment.write(length >> 8);
        segment.write(length & 0xFF);
        segment.writeBytes(exif);
        segment.writeBytes(tiff.array());
        return insertAfterSoi(jpeg, segment.toByteArray());
    }

    /**
     * Writes a CMYK JPEG of one ink colour (0 = no ink, 255 = full ink). The JPEG writer's raster path stores the
     * four channels as they are; an Adobe APP14 segment (transform 0) is inserted so readers know the channels are
     * CMYK, and the samples are stored inverted as Adobe applications do.
     */
    static Path cmykJpeg(Path file, int w, int h, int c, int m, int y, int k) {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int yy = 0; yy < h; yy++) {
            for (int xx = 0; xx < w; xx++) {
                raster.setPixel(xx, yy, new int[]{255 - c, 255 - m, 255 - y, 255 - k});
            }
        }
        byte[] adobe = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        return writeBytes(file, insertAfterSoi(jpegOfRaster(raster), adobe));
    }

    /** Encodes a raster as a JPEG through the writer's raster path, which stores its channels as they are. */
    static byte[] jpegOfRaster(Raster raster) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] insertAfterSoi(byte[] jpeg, byte[] segment) {
        if ((jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
            throw new IllegalArgumentException("not a JPEG");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.writeBytes(segment);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** Writes an animated GIF whose frames are solid images of the given colours. */
    static Path animatedGif(Path file, int w, int h, int... colours) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int colour : colours) {
                BufferedImage frame = solid(w, h, colour);
                ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(frame);
                IIOMetadata meta = writer.getDefaultImageMetadata(type, null);
                String format = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
                IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "FALSE");
                gce.setAttribute("delayTime", "10");
                gce.setAttribute("transparentColorIndex", "0");
                root.appendChild(gce);
                meta.setFromTree(format, root);
                writer.writeToSequence(new IIOImage(frame, null, meta), null);
            }
            writer.endWriteSequence();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return file;
    }

    /**
     * Writes a lossless WebP (VP8L) of one ARGB colour. Every prefix code is a "simple" code with a single
     * symbol, so the pixels themselves take no bits: the bitstream is the header plus five codes.
     */
    static Path solidWebp(Path file, int w, int h, int argb) {
        BitWriter bits = new BitWriter();
        bits.write(0x2F, 8);        // VP8L signature
        bits.write(w - 1, 14);
        bits.write(h - 1, 14);
        bits.write((argb >>> 24) != 0xFF ? 1 : 0, 1); // alpha used
        bits.write(0, 3);           // version
        bits.write(0, 1);           // no transform
        bits.write(0, 1);           // no colour cache
        bits.write(0, 1);           // no meta prefix codes
        int[] symbols = {(argb >> 8) & 0xFF, (argb >> 16) & 0xFF, argb & 0xFF, argb >>> 24, 0}; // G, R, B, A, distance
        for (int s : symbols) {
            bits.write(1, 1);       // simple code
            bits.write(0, 1);       // one symbol
            bits.write(1, 1);       // 8-bit symbol
            bits.write(s, 8);
        }
        byte[] vp8l = bits.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int padded = vp8l.length + (vp8l.length & 1);
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        writeLe32(out, 4 + 8 + padded);
        out.writeBytes("WEBPVP8L".getBytes(StandardCharsets.US_ASCII));
        writeLe32(out, vp8l.length);
        out.writeBytes(vp8l);
        if ((vp8l.length & 1) == 1) {
            out.write(0);
        }
        return writeBytes(file, out.toByteArray());
    }

    /** A PNG signature and IHDR chunk claiming the given size, followed by a tiny (invalid) IDAT and IEND. */
    static byte[] pngHeader(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h);
        ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0); // 8-bit RGB
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[]{0x78, (byte) 0x9C, 0x03, 0x00});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Writes a one-byte file (not an image) at {@code root/relative}, creating its folders. */
    static Path touch(Path root, String relative) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return writeBytes(file, new byte[]{1});
    }

    static Path writeBytes(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeLe32(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >> 8) & 0xFF);
        out.write((v >> 16) & 0xFF);
        out.write((v >>> 24) & 0xFF);
    }

    /** Packs bits least-significant first, as VP8L does. */
    private static final class BitWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long buffer;
        private int count;

        void write(int value, int n) {
            buffer |= ((long) value & ((1L << n) - 1)) << count;
            count += n;
            while (count >= 8) {
                out.write((int) (buffer & 0xFF));
                buffer >>>= 8;
                count -= 8;
            }
        }

        byte[] toByteArray() {
            if (count > 0) {
                out.write((int) (buffer & 0xFF));
                buffer = 0;
                count = 0;
            }
            return out.toByteArray();
        }
    }

    /** Channel helpers. */
    static int r(int rgb) {
        return (rgb >> 16) & 0xFF;
    }

    static int g(int rgb) {
        return (rgb >> 8) & 0xFF;
    }

    static int b(int rgb) {
        return rgb & 0xFF;
    }
}
