package dev.transferkit.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static dev.transferkit.image.TestImages.b;
import static dev.transferkit.image.TestImages.g;
import static dev.transferkit.image.TestImages.r;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {
    private static final int RED = 0xFF0000;
    private static final int GREEN = 0x00FF00;
    private static final int BLUE = 0x0000FF;
    private static final int WHITE = 0xFFFFFF;

    @TempDir
    Path dir;

    private final ImageDecoder decoder = new ImageDecoder(ImageOptions.defaults());

    private static void assertRgb(int expected, int actual, int tolerance) {
        int actualRgb = actual & 0xFFFFFF;
        boolean close = Math.abs(r(expected) - r(actualRgb)) <= tolerance
                && Math.abs(g(expected) - g(actualRgb)) <= tolerance
                && Math.abs(b(expected) - b(actualRgb)) <= tolerance;
        assertTrue(close, String.format("expected #%06X within %d but got #%06X", expected, tolerance, actualRgb));
    }

    private static void assertUniform(BufferedImage img, int expected, int tolerance) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                assertRgb(expected, img.getRGB(x, y), tolerance);
            }
        }
    }

    @Test
    void decodesJpegToRgb() {
        Path file = TestImages.writeBytes(dir.resolve("a.jpg"), TestImages.jpeg(TestImages.solid(24, 16, 0x3366CC)));
        BufferedImage img = decoder.decode(file);
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        assertEquals(24, img.getWidth());
        assertEquals(16, img.getHeight());
        assertUniform(img, 0x3366CC, 4);
    }

    @Test
    void decodesPngBmpAndWebpExactly() {
        BufferedImage src = TestImages.quadrants(6, 4, RED, GREEN, BLUE, 0x123456);
        for (String format : new String[]{"png", "bmp"}) {
            BufferedImage img = decoder.decode(TestImages.write(src, format, dir.resolve("q." + format)));
            assertEquals(BufferedImage.TYPE_INT_RGB, img.getType(), format);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 6; x++) {
                    assertEquals(src.getRGB(x, y) & 0xFFFFFF, img.getRGB(x, y) & 0xFFFFFF, format + " at " + x + "," + y);
                }
            }
        }
        BufferedImage webp = decoder.decode(TestImages.solidWebp(dir.resolve("a.webp"), 5, 3, 0xFF336699));
        assertEquals(5, webp.getWidth());
        assertEquals(3, webp.getHeight());
        assertUniform(webp, 0x336699, 0);
    }

    @Test
    void decodesTheFirstFrameOfAnAnimatedGif() {
        Path file = TestImages.animatedGif(dir.resolve("anim.gif"), 8, 6, RED, BLUE, GREEN);
        BufferedImage img = decoder.decode(file);
        assertEquals(8, img.getWidth());
        assertEquals(6, img.getHeight());
        assertUniform(img, RED, 0);
    }

    @Test
    void convertsGreyPngSampleValuesWithoutGammaShift() {
        BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 1, new int[]{0, 128, 255});
        BufferedImage img = decoder.decode(TestImages.write(grey, "png", dir.resolve("grey.png")));
        assertEquals(0x000000, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x808080, img.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(0xFFFFFF, img.getRGB(2, 0) & 0xFFFFFF);
    }

    @Test
    void convertsSixteenBitGreyPngTo8Bits() {
        BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 1, new int[]{1000, 0x8080, 65535});
        Path file = TestImages.write(grey, "png", dir.resolve("grey16.png"));
        assertEquals(16, TestImages.readBytes(file)[24], "the test file must really be 16-bit");
        BufferedImage img = decoder.decode(file);
        // round(1000 * 255 / 65535) = round(3.89) = 4; 0x8080 = 128 * 257; 65535 -> 255
        assertEquals(0x040404, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x808080, img.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(0xFFFFFF, img.getRGB(2, 0) & 0xFFFFFF);
    }

    @Test
    void convertsPalettePng() {
        byte[] reds = {(byte) 10, (byte) 200, (byte) 0};
        byte[] greens = {(byte) 20, (byte) 100, (byte) 0};
        byte[] blues = {(byte) 30, (byte) 50, (byte) 255};
        IndexColorModel palette = new IndexColorModel(2, 3, reds, greens, blues);
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        img.getRaster().setPixels(0, 0, 3, 1, new int[]{2, 0, 1});
        Path file = TestImages.write(img, "png", dir.resolve("palette.png"));
        assertEquals(3, TestImages.readBytes(file)[25], "the test file must really use a palette (colour type 3)");
        BufferedImage out = decoder.decode(file);
        assertEquals(0x0000FF, out.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x0A141E, out.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(0xC86432, out.getRGB(2, 0) & 0xFFFFFF);
    }

    @Test
    void compositesAlphaOntoTheBackground() {
        BufferedImage rgba = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x80C86432);  // (200, 100, 50) at alpha 128
        rgba.setRGB(1, 0, 0x00C86432);  // fully transparent
        rgba.setRGB(2, 0, 0xFFC86432);  // opaque
        Path file = TestImages.write(rgba, "png", dir.resolve("rgba.png"));
        BufferedImage onBlue = new ImageDecoder(ImageOptions.builder().optBackground(Color.BLUE).build()).decode(file);
        // (c * 128 + bg * 127) / 255 rounded: r = 25600/255 = 100.4, g = 12800/255 = 50.2, b = (6400 + 32385)/255 = 152.1
        assertEquals(0x643298, onBlue.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x0000FF, onBlue.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(0xC86432, onBlue.getRGB(2, 0) & 0xFFFFFF);
        BufferedImage onWhite = decoder.decode(file);
        // r = (25600 + 32385)/255 = 227.4, g = (12800 + 32385)/255 = 177.2, b = (6400 + 32385)/255 = 152.1
        assertEquals(0xE3B198, onWhite.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFFFFFF, onWhite.getRGB(1, 0) & 0xFFFFFF);
        BufferedImage webp = decoder.decode(TestImages.solidWebp(dir.resolve("half.webp"), 2, 2, 0x80C86432));
        assertUniform(webp, 0xE3B198, 0);
    }

    @Test
    void convertsCmykJpegToRgb() {
        Path red = TestImages.cmykJpeg(dir.resolve("cmyk-red.jpg"), 16, 16, 0, 255, 255, 0);
        Path black = TestImages.cmykJpeg(dir.resolve("cmyk-black.jpg"), 16, 16, 0, 0, 0, 255);
        Path paper = TestImages.cmykJpeg(dir.resolve("cmyk-white.jpg"), 16, 16, 0, 0, 0, 0);
        BufferedImage img = decoder.decode(red);
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        int p = img.getRGB(8, 8);
        assertTrue(r(p) > 180 && g(p) < 90 && b(p) < 90, String.format("magenta+yellow ink should look red, got #%06X", p & 0xFFFFFF));
        assertUniform(decoder.decode(black), 0x000000, 60);
        assertUniform(decoder.decode(paper), 0xFFFFFF, 20);
    }

    /**
     * The stored image has red, green, blue and white quadrants (top-left, top-right, bottom-left, bottom-right);
     * the expected colours are what a viewer shows after applying the EXIF orientation.
     */
    @ParameterizedTest(name = "orientation {0}")
    @CsvSource({
            "1, 64, 32, FF0000, 00FF00, 0000FF, FFFFFF",
            "2, 64, 32, 00FF00, FF0000, FFFFFF, 0000FF",
            "3, 64, 32, FFFFFF, 0000FF, 00FF00, FF0000",
            "4, 64, 32, 0000FF, FFFFFF, FF0000, 00FF00",
            "5, 32, 64, FF0000, 0000FF, 00FF00, FFFFFF",
            "6, 32, 64, 0000FF, FF0000, FFFFFF, 00FF00",
            "7, 32, 64, FFFFFF, 00FF00, 0000FF, FF0000",
            "8, 32, 64, 00FF00, FFFFFF, FF0000, 0000FF"})
    void appliesExifOrientation(int orientation, int width, int height, String tl, String tr, String bl, String br) {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 32, RED, GREEN, BLUE, WHITE));
        Path file = TestImages.writeBytes(dir.resolve("o" + orientation + ".jpg"), TestImages.withExifOrientation(jpeg, orientation));
        BufferedImage img = decoder.decode(file);
        assertEquals(width, img.getWidth());
        assertEquals(height, img.getHeight());
        int qx = width / 4;
        int qy = height / 4;
        assertRgb(Integer.parseInt(tl, 16), img.getRGB(qx, qy), 40);
        assertRgb(Integer.parseInt(tr, 16), img.getRGB(3 * qx, qy), 40);
        assertRgb(Integer.parseInt(bl, 16), img.getRGB(qx, 3 * qy), 40);
        assertRgb(Integer.parseInt(br, 16), img.getRGB(3 * qx, 3 * qy), 40);
    }

    /** A smooth, photo-like test picture. */
    private static BufferedImage smooth(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (int) (127 + 120 * Math.sin(6.0 * x / w));
                int g = (int) (127 + 120 * Math.cos(4.0 * y / h));
                int b = (int) (127 + 120 * Math.sin(9.0 * x * y / (w * (double) h)));
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    @Test
    void largeJpegsAreDecodedAtReducedSizeButNeverBelowWhatTheCallerNeeds() {
        Path file = TestImages.writeBytes(dir.resolve("photo.jpg"), TestImages.jpeg(smooth(1600, 1000)));
        BufferedImage full = decoder.decode(file);
        assertEquals(1600, full.getWidth());
        BufferedImage reduced = decoder.decode(file, 224); // 1/4: 400x250, the shorter side stays >= 224
        assertEquals(400, reduced.getWidth());
        assertEquals(250, reduced.getHeight());
        assertEquals(BufferedImage.TYPE_INT_RGB, reduced.getType());
        assertEquals(800, decoder.decode(file, 300).getWidth()); // 1/8 would give 125 rows, 1/4 too few: 1/2
        assertEquals(1600, decoder.decode(file, 600).getWidth()); // no reduction keeps 600
        // After resizing to the network's input the two paths agree closely.
        BufferedImage a = ImageResizer.resize(full, 224, 224, ResizePolicy.SQUASH, java.awt.Color.WHITE);
        BufferedImage b = ImageResizer.resize(reduced, 224, 224, ResizePolicy.SQUASH, java.awt.Color.WHITE);
        double diff = 0;
        for (int y = 0; y < 224; y++) {
            for (int x = 0; x < 224; x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                diff += Math.abs(r(p) - r(q)) + Math.abs(g(p) - g(q)) + Math.abs(b(p) - b(q));
            }
        }
        double mean = diff / (224 * 224 * 3);
        assertTrue(mean < 2.0, "mean absolute difference " + mean + " of 255");
    }

    @Test
    void reducedDecodingKeepsOrientationAndRefusesTruncatedFiles() {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(1280, 640, RED, GREEN, BLUE, WHITE));
        Path rotated = TestImages.writeBytes(dir.resolve("big-o6.jpg"), TestImages.withExifOrientation(jpeg, 6));
        BufferedImage img = decoder.decode(rotated, 150); // 1/4 -> 320x160, then rotated to 160x320
        assertEquals(160, img.getWidth());
        assertEquals(320, img.getHeight());
        assertRgb(BLUE, img.getRGB(40, 80), 40);
        assertRgb(RED, img.getRGB(120, 80), 40);
        Path truncated = TestImages.writeBytes(dir.resolve("big-truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(truncated, 150));
        assertTrue(e.getMessage().contains("big-truncated.jpg"), e.getMessage());
        Path cmyk = TestImages.cmykJpeg(dir.resolve("big-cmyk.jpg"), 800, 800, 0, 255, 255, 0);
        int p = decoder.decode(cmyk, 100).getRGB(50, 50); // Adobe marker: decoded by ImageIO at full size
        assertTrue(r(p) > 180 && g(p) < 90 && b(p) < 90, String.format("#%06X", p & 0xFFFFFF));
        assertEquals(800, decoder.decode(cmyk, 100).getWidth());
    }

    @Test
    void ignoresExifOrientationWhenAskedTo() {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 32, RED, GREEN, BLUE, WHITE));
        Path file = TestImages.writeBytes(dir.resolve("o6.jpg"), TestImages.withExifOrientation(jpeg, 6));
        BufferedImage img = new ImageDecoder(ImageOptions.builder().optApplyExifOrientation(false).build()).decode(file);
        assertEquals(64, img.getWidth());
        assertRgb(RED, img.getRGB(16, 8), 40);
    }

    @Test
    void detectsTheFormatFromContentNotExtension() {
        Path file = TestImages.write(TestImages.solid(4, 4, 0x102030), "png", dir.resolve("really-a-png.jpg"));
        assertUniform(decoder.decode(file), 0x102030, 0);
    }

    @Test
    void readsFileNamesWithSpacesAndNonAsciiCharacters() {
        Path sub = dir.resolve("dossier été");
        Path file = TestImages.write(TestImages.solid(3, 2, 0x445566), "png", dir.resolve("my photo 猫 ä.png"));
        assertUniform(decoder.decode(file), 0x445566, 0);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(sub.resolve("ñ.png")));
        assertTrue(e.getMessage().contains("dossier été"), e.getMessage());
    }

    private ImageDecodeException failure(Path file, String expectedReason) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(file));
        assertTrue(e.getMessage().startsWith("The file " + file + " could not be decoded: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedReason), e.getMessage());
        assertEquals(file, e.file());
        return e;
    }

    @Test
    void rejectsMissingEmptyAndDirectoryPaths() throws Exception {
        failure(dir.resolve("missing.jpg"), "it does not exist");
        failure(Files.createDirectory(dir.resolve("folder.jpg")), "it is a directory");
        ImageDecodeException e = failure(Files.createFile(dir.resolve("empty.jpg")), "it is empty (0 bytes)");
        assertEquals("The file " + dir.resolve("empty.jpg") + " could not be decoded: it is empty (0 bytes).", e.getMessage());
    }

    @Test
    void rejectsTextFilesAndUnsupportedFormats() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.jpg"), "this is not a picture\n");
        failure(text, "not an image in a supported format");
        // A little-endian TIFF header with an empty first IFD, written by hand so no TIFF writer is involved.
        byte[] tiffBytes = {'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        Path tiff = TestImages.writeBytes(dir.resolve("scan.png"), tiffBytes);
        failure(tiff, "TIFF image, which is not supported");
        Path zeros = TestImages.writeBytes(dir.resolve("zeros.bmp"), new byte[64]);
        failure(zeros, "not an image in a supported format");
    }

    @Test
    void rejectsTruncatedJpegAndPng() {
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(7);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, random.nextInt());
            }
        }
        byte[] jpeg = TestImages.jpeg(noise);
        failure(TestImages.writeBytes(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length * 2 / 3)), "truncated");
        failure(TestImages.writeBytes(dir.resolve("header-only.jpg"), Arrays.copyOf(jpeg, 300)), "truncated or corrupt");
        byte[] png = TestImages.readBytes(TestImages.write(noise, "png", dir.resolve("full.png")));
        failure(TestImages.writeBytes(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2)), "truncated");
    }

    @Test
    void refusesDecompressionBombsFromTheHeaderAlone() {
        Path bomb = TestImages.writeBytes(dir.resolve("bomb.png"), TestImages.pngHeader(30000, 30000));
        long start = System.nanoTime();
        // Decoding 30000 x 30000 would need 3.6 GB, more than the test heap: only the header may be read.
        failure(bomb, "it is 30000 x 30000 = 900000000 pixels, more than the limit of 50000000 pixels");
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "refusing must not decode anything");
        Path small = TestImages.write(TestImages.solid(20, 10, 0), "png", dir.resolve("small.png"));
        ImageDecoder strict = new ImageDecoder(ImageOptions.builder().optMaxPixels(199).build());
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> strict.decode(small));
        assertTrue(e.getMessage().contains("20 x 10 = 200 pixels, more than the limit of 199"), e.getMessage());
        assertEquals(20, new ImageDecoder(ImageOptions.builder().optMaxPixels(200).build()).decode(small).getWidth());
    }
}
