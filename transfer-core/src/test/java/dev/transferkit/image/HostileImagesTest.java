package dev.transferkit.image;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.transferkit.image.TestImages.b;
import static dev.transferkit.image.TestImages.g;
import static dev.transferkit.image.TestImages.r;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A corpus of hostile and unusual image files, every one generated here: each must either decode to the expected
 * size and colour or fail with an {@link ImageDecodeException} naming the file and the reason, both when decoded on
 * its own and when it sits in a folder loaded by a {@link BatchLoader} (where failures are skipped and reported).
 * The test prints the outcome table that docs/RELIABILITY.md shows.
 */
class HostileImagesTest {
    private static final int RED = 0xFF0000;

    @TempDir
    static Path dir;

    /** Expected outcome: a decoded size and centre colour (tolerance per channel), or a failure reason fragment. */
    private record Expected(String what, int width, int height, int centre, int tolerance, String failure) {
        static Expected decodes(String what, int w, int h, int centre, int tolerance) {
            return new Expected(what, w, h, centre, tolerance, null);
        }

        static Expected fails(String what, String reason) {
            return new Expected(what, 0, 0, 0, 0, reason);
        }
    }

    private static final Map<Path, Expected> CORPUS = new LinkedHashMap<>();

    @BeforeAll
    static void writeCorpus() throws IOException {
        Path c = Files.createDirectories(dir.resolve("corpus"));
        byte[] noiseJpeg = TestImages.jpeg(noise(64, 64));
        byte[] smallJpeg = TestImages.jpeg(TestImages.solid(8, 8, RED));

        add(Files.write(c.resolve("zero-bytes.jpg"), new byte[0]), Expected.fails("zero-byte file", "it is empty (0 bytes)"));
        add(Files.write(c.resolve("truncated.jpg"), Arrays.copyOf(noiseJpeg, noiseJpeg.length / 2)),
                Expected.fails("JPEG cut in half", "truncated"));
        add(Files.write(c.resolve("soi-only.jpg"), new byte[]{(byte) 0xFF, (byte) 0xD8}),
                Expected.fails("JPEG of just its start marker", "truncated"));
        add(Files.writeString(c.resolve("error-page.jpg"), "<html><body>403 Forbidden</body></html>\n"),
                Expected.fails("HTML error page saved as .jpg", "not an image in a supported format"));
        add(Files.write(c.resolve("archive.png"), new byte[]{'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                Expected.fails("zip header named .png", "not an image in a supported format"));
        add(Files.write(c.resolve("jpeg-named.png"), smallJpeg), Expected.decodes("JPEG named .png", 8, 8, RED, 8));
        add(TestImages.animatedGif(c.resolve("gif-named.jpg"), 5, 4, 0x00FF00),
                Expected.decodes("GIF named .jpg", 5, 4, 0x00FF00, 0));
        add(TestImages.solidWebp(c.resolve("webp-named.bmp"), 3, 2, 0xFF0000FF),
                Expected.decodes("WebP named .bmp", 3, 2, 0x0000FF, 0));
        add(TestImages.cmykJpeg(c.resolve("cmyk.jpg"), 16, 16, 0, 255, 255, 0),
                Expected.decodes("CMYK JPEG (Adobe, inverted)", 16, 16, 0xED1C24, 60));
        add(ycckJpeg(c.resolve("ycck.jpg"), 16, 16, 0, 255, 255, 0),
                Expected.decodes("YCCK JPEG (Adobe transform 2)", 16, 16, 0xED1C24, 60));
        add(TestImages.write(grey(6, 4, 100), "jpeg", c.resolve("grey.jpg")), Expected.decodes("grey JPEG", 6, 4, 0x646464, 3));
        add(TestImages.write(greyAlpha(), "png", c.resolve("grey-alpha.png")),
                Expected.decodes("grey + alpha PNG (alpha 0 on white)", 4, 4, 0xFFFFFF, 0));
        add(TestImages.write(rgb16(), "png", c.resolve("rgb16.png")), Expected.decodes("16-bit RGB PNG", 4, 4, 0x804020, 0));
        add(TestImages.write(paletteWithTransparency(), "png", c.resolve("palette-trns.png")),
                Expected.decodes("palette PNG with a transparent entry", 4, 4, 0xFFFFFF, 0));
        add(TestImages.animatedGif(c.resolve("animated.gif"), 8, 6, RED, 0x0000FF, 0x00FF00),
                Expected.decodes("animated GIF (3 frames)", 8, 6, RED, 0));
        for (String format : List.of("png", "jpeg", "gif", "bmp")) {
            add(TestImages.write(TestImages.solid(1, 1, RED), format, c.resolve("one-pixel." + format)),
                    Expected.decodes("1x1 " + format.toUpperCase(), 1, 1, RED, 8));
        }
        add(TestImages.solidWebp(c.resolve("one-pixel.webp"), 1, 1, 0xFFFF0000), Expected.decodes("1x1 WEBP", 1, 1, RED, 0));
        String bomb = "it is 20000 x 20000 = 400000000 pixels, more than the limit";
        add(Files.write(c.resolve("bomb.png"), TestImages.pngHeader(20000, 20000)),
                Expected.fails("PNG header claiming 20000x20000", bomb));
        add(Files.write(c.resolve("bomb.jpg"), withJpegSize(smallJpeg, 20000, 20000)),
                Expected.fails("JPEG header claiming 20000x20000", bomb));
        add(Files.write(c.resolve("bomb.gif"), gifHeader(20000, 20000)), Expected.fails("GIF header claiming 20000x20000", bomb));
        add(Files.write(c.resolve("bomb.bmp"), bmpHeader(20000, 20000)), Expected.fails("BMP header claiming 20000x20000", bomb));
        // A real bomb: a valid 16384x16384 lossless WebP of a few dozen bytes that would need 1 GiB as int pixels.
        add(TestImages.solidWebp(c.resolve("bomb.webp"), 16384, 16384, 0xFF000000),
                Expected.fails("valid 16384x16384 WebP, 38 bytes", "it is 16384 x 16384 = 268435456 pixels, more than the limit"));
        byte[] rotated = TestImages.withExifOrientation(TestImages.jpeg(TestImages.quadrants(32, 16, RED, RED, RED, RED)), 6);
        add(Files.write(c.resolve("exif-rotated.jpg"), rotated), Expected.decodes("JPEG with EXIF orientation 6", 16, 32, RED, 8));
        add(TestImages.write(TestImages.solid(3, 2, RED), "png", c.resolve("my photo ünïcödé 猫.png")),
                Expected.decodes("name with spaces and non-ASCII characters", 3, 2, RED, 0));
    }

    private static void add(Path file, Expected expected) {
        CORPUS.put(file, expected);
    }

    @Test
    void everyFileDecodesAsExpectedOrFailsWithAReasonNamingIt() {
        ImageDecoder decoder = new ImageDecoder(ImageOptions.defaults());
        StringBuilder table = new StringBuilder("| file | what it is | outcome |\n|---|---|---|\n");
        for (Map.Entry<Path, Expected> e : CORPUS.entrySet()) {
            Path file = e.getKey();
            Expected want = e.getValue();
            String outcome;
            if (want.failure() == null) {
                BufferedImage img = decoder.decode(file);
                assertEquals(want.width(), img.getWidth(), file + " width");
                assertEquals(want.height(), img.getHeight(), file + " height");
                int centre = img.getRGB(img.getWidth() / 2, img.getHeight() / 2) & 0xFFFFFF;
                assertClose(want.centre(), centre, want.tolerance(), file.toString());
                outcome = String.format("decoded, %d x %d RGB, centre #%06X", img.getWidth(), img.getHeight(), centre);
            } else {
                long start = System.nanoTime();
                ImageDecodeException x = assertThrows(ImageDecodeException.class, () -> decoder.decode(file), file.toString());
                assertTrue(x.getMessage().startsWith("The file " + file + " could not be decoded: "), x.getMessage());
                assertTrue(x.reason().contains(want.failure()), file + ": " + x.getMessage());
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), file + " took too long to refuse");
                outcome = "ImageDecodeException: " + x.reason();
            }
            table.append("| `").append(file.getFileName()).append("` | ").append(want.what()).append(" | ")
                    .append(outcome.replace("|", "\\|")).append(" |\n");
        }
        System.out.print(table);
    }

    @Test
    void aBatchLoaderSkipsAndReportsExactlyTheFilesThatCannotBeDecoded() {
        List<LabeledImage> images = new ArrayList<>();
        CORPUS.keySet().forEach(p -> images.add(new LabeledImage(p, "x")));
        ImagePipeline pipeline = new ImagePipeline(new InputSpec(16, 16, 3, DataFormat.NCHW), Preprocessing.UNIT,
                ImageOptions.defaults());
        List<Path> loaded = new ArrayList<>();
        Map<Path, String> failed = new HashMap<>();
        try (BatchLoader loader = BatchLoader.builder().setImages(images).setPipeline(pipeline)
                .setLabelEncoder(LabelEncoder.of("x")).optBatchSize(5).optThreads(2).build()) {
            while (loader.hasNext()) {
                ImageBatch batch = loader.next();
                assertEquals(batch.paths().size(), batch.features().size(0));
                if (!batch.paths().isEmpty()) {
                    for (float v : batch.features().data().asFloat()) {
                        assertFalse(Float.isNaN(v) || v < 0 || v > 1, "UNIT input lies in [0, 1], got " + v);
                    }
                }
                loaded.addAll(batch.paths());
                batch.failures().forEach(f -> failed.put(f.path(), f.reason()));
            }
        }
        for (Map.Entry<Path, Expected> e : CORPUS.entrySet()) {
            if (e.getValue().failure() == null) {
                assertTrue(loaded.contains(e.getKey()), e.getKey() + " should be in a batch");
            } else {
                assertNotNull(failed.get(e.getKey()), e.getKey() + " should be reported as a failure");
                assertTrue(failed.get(e.getKey()).contains(e.getValue().failure()), failed.get(e.getKey()));
            }
        }
        assertEquals(CORPUS.size(), loaded.size() + failed.size(), "every file is either loaded or reported, once");
    }

    @Test
    void aFileWithoutReadPermissionIsReportedNotCrashed() throws IOException {
        // Root reads files whatever their permissions, and these tests often run as root (containers, CI).
        Path file = TestImages.write(TestImages.solid(2, 2, RED), "png", dir.resolve("locked.png"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        try {
            assumeFalse(Files.isReadable(file), "running as root: a mode 000 file is still readable, nothing to test");
            ImageDecodeException e = assertThrows(ImageDecodeException.class,
                    () -> new ImageDecoder(ImageOptions.defaults()).decode(file));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not readable"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void aNamedPipeWithAnImageNameIsRefusedWithoutBlocking() throws Exception {
        // Opening a FIFO for reading blocks until a writer appears; the decoder must never get that far. This works as
        // root too, unlike permission tests.
        Path fifo = dir.resolve("pipe.jpg");
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available: " + e.getMessage());
            return;
        }
        assumeTrue(mkfifo.waitFor() == 0 && Files.exists(fifo), "mkfifo failed");
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> new ImageDecoder(ImageOptions.defaults()).decode(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void symbolicLinkLoopsAndDanglingLinksInADatasetAreHarmless() throws IOException {
        Path root = dir.resolve("links");
        Path cat = Files.createDirectories(root.resolve("train/cat"));
        Path real = TestImages.write(TestImages.solid(2, 2, RED), "png", cat.resolve("real.png"));
        Files.createSymbolicLink(cat.resolve("self.png"), cat.resolve("self.png"));         // a link to itself
        Files.createSymbolicLink(cat.resolve("gone.png"), root.resolve("missing.png"));    // dangling
        Files.createSymbolicLink(cat.resolve("up"), root);                                  // a loop through the root
        Files.createSymbolicLink(root.resolve("train/loop"), root.resolve("train/loop"));   // a class folder link loop
        ImageFolder folder = ImageFolder.open(root);
        assertEquals(List.of("cat"), folder.classes("train"));
        assertEquals(List.of(new LabeledImage(real, "cat")), folder.images("train"));
    }

    // ------------------------------------------------------------------ generators

    private static void assertClose(int expected, int actual, int tolerance, String what) {
        boolean close = Math.abs(r(expected) - r(actual)) <= tolerance && Math.abs(g(expected) - g(actual)) <= tolerance
                && Math.abs(b(expected) - b(actual)) <= tolerance;
        assertTrue(close, String.format("%s: expected #%06X within %d but got #%06X", what, expected, tolerance, actual));
    }

    private static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(3);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt());
            }
        }
        return img;
    }

    private static BufferedImage grey(int w, int h, int value) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        int[] v = new int[w * h];
        Arrays.fill(v, value);
        img.getRaster().setPixels(0, 0, w, h, v);
        return img;
    }

    /** 4x4 grey + alpha (two 8-bit bands): black everywhere, fully transparent, so it shows the background. */
    private static BufferedImage greyAlpha() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), new int[]{8, 8},
                true, false, java.awt.Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(4, 4);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                raster.setPixel(x, y, new int[]{0, 0});
            }
        }
        return new BufferedImage(cm, raster, false, null);
    }

    /** 4x4 with 16-bit samples 0x8080, 0x4040, 0x2020, which round to 8-bit 0x80, 0x40, 0x20. */
    private static BufferedImage rgb16() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[]{16, 16, 16},
                false, false, java.awt.Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(4, 4);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                raster.setPixel(x, y, new int[]{0x8080, 0x4040, 0x2020});
            }
        }
        return new BufferedImage(cm, raster, false, null);
    }

    /** 4x4 palette image of entry 1, which is fully transparent (a tRNS chunk). */
    private static BufferedImage paletteWithTransparency() {
        byte[] red = {(byte) 255, 0};
        byte[] zero = {0, 0};
        byte[] alpha = {(byte) 255, 0};
        IndexColorModel palette = new IndexColorModel(1, 2, red, zero, zero, alpha);
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_BINARY, palette);
        img.getRaster().setPixels(0, 0, 4, 4, new int[]{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        return img;
    }

    /**
     * Writes a YCCK JPEG of one ink colour: the inverted CMY inks are taken as RGB and converted to YCbCr, K is stored
     * inverted, and an Adobe APP14 segment with transform 2 tells readers that the four channels are YCCK.
     */
    static Path ycckJpeg(Path file, int w, int h, int c, int m, int y, int k) {
        // Adobe stores 255 - ink. A YCCK reader computes RGB from Y/Cb/Cr and takes 255 - R, 255 - G, 255 - B as
        // those stored CMY values, so R = c, G = m, B = y; K is stored as it is, i.e. 255 - k.
        int[] ycc = ycc(c, m, y);
        int[] sample = {ycc[0], ycc[1], ycc[2], 255 - k};
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int row = 0; row < h; row++) {
            for (int col = 0; col < w; col++) {
                raster.setPixel(col, row, sample);
            }
        }
        byte[] plain = TestImages.jpegOfRaster(raster);
        byte[] adobe = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, 2);
        out.writeBytes(adobe);
        out.write(plain, 2, plain.length - 2);
        return TestImages.writeBytes(file, out.toByteArray());
    }

    /** The JPEG (JFIF) YCbCr of the RGB triple (r, g, b). */
    private static int[] ycc(int r, int g, int b) {
        double rr = r;
        double gg = g;
        double bb = b;
        return new int[]{
                clamp((int) Math.round(0.299 * rr + 0.587 * gg + 0.114 * bb)),
                clamp((int) Math.round(128 - 0.168736 * rr - 0.331264 * gg + 0.5 * bb)),
                clamp((int) Math.round(128 + 0.5 * rr - 0.418688 * gg - 0.081312 * bb))};
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Rewrites the height and width of a JPEG's SOF0 segment. */
    private static byte[] withJpegSize(byte[] jpeg, int w, int h) {
        byte[] out = jpeg.clone();
        for (int i = 2; i + 8 < out.length; i++) {
            if ((out[i] & 0xFF) == 0xFF && (out[i + 1] & 0xFF) == 0xC0) {
                out[i + 5] = (byte) (h >> 8);
                out[i + 6] = (byte) h;
                out[i + 7] = (byte) (w >> 8);
                out[i + 8] = (byte) w;
                return out;
            }
        }
        throw new IllegalArgumentException("no SOF0 segment");
    }

    /** A GIF whose screen and only image claim w x h, with a two-colour palette and a few bytes of LZW data. */
    private static byte[] gifHeader(int w, int h) {
        ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        buf.put("GIF89a".getBytes(StandardCharsets.US_ASCII)).putShort((short) w).putShort((short) h);
        buf.put((byte) 0x80).put((byte) 0).put((byte) 0);                  // global palette of 2 colours
        buf.put(new byte[]{0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        buf.put((byte) 0x2C).putShort((short) 0).putShort((short) 0).putShort((short) w).putShort((short) h).put((byte) 0);
        buf.put((byte) 2).put((byte) 2).put((byte) 0x4C).put((byte) 0x01).put((byte) 0).put((byte) 0x3B);
        return Arrays.copyOf(buf.array(), buf.position());
    }

    /** A 24-bit BMP header claiming w x h followed by a few bytes of pixels. */
    private static byte[] bmpHeader(int w, int h) {
        ByteBuffer buf = ByteBuffer.allocate(54 + 16).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 'B').put((byte) 'M').putInt(54 + 16).putInt(0).putInt(54);
        buf.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(2835).putInt(2835).putInt(0).putInt(0);
        return buf.array();
    }
}
