package dev.transferkit.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePipelineTest {
    @TempDir
    Path dir;

    /** Two pixels, (10, 20, 30) then (40, 50, 60), in one row. */
    private static BufferedImage twoPixels() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0x0A141E);
        img.setRGB(1, 0, 0x28323C);
        return img;
    }

    private static void assertValues(float[] expected, INDArray actual) {
        float[] got = actual.dup('c').data().asFloat();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-4f, "value " + i + " of " + Arrays.toString(got));
        }
    }

    @Test
    void writesCaffeInputInNchwAndNhwc() {
        float b0 = 30 - 103.939f;
        float g0 = 20 - 116.779f;
        float r0 = 10 - 123.68f;
        float b1 = 60 - 103.939f;
        float g1 = 50 - 116.779f;
        float r1 = 40 - 123.68f;
        ImagePipeline nchw = new ImagePipeline(new InputSpec(1, 2, 3, DataFormat.NCHW), Preprocessing.CAFFE, ImageOptions.defaults());
        INDArray a = nchw.toBatch(List.of(twoPixels()));
        assertArrayEquals(new long[]{1, 3, 1, 2}, a.shape());
        assertEquals(DataType.FLOAT, a.dataType());
        assertValues(new float[]{b0, b1, g0, g1, r0, r1}, a);
        assertEquals(g1, a.getFloat(0, 1, 0, 1), 1e-4f);

        ImagePipeline nhwc = new ImagePipeline(new InputSpec(1, 2, 3, DataFormat.NHWC), Preprocessing.CAFFE, ImageOptions.defaults());
        INDArray c = nhwc.toBatch(List.of(twoPixels()));
        assertArrayEquals(new long[]{1, 1, 2, 3}, c.shape());
        assertValues(new float[]{b0, g0, r0, b1, g1, r1}, c);
        assertEquals(g1, c.getFloat(0, 0, 1, 1), 1e-4f);
    }

    @Test
    void writesTorchInputForSeveralImagesAtTheirOffsets() {
        ImagePipeline p = new ImagePipeline(new InputSpec(1, 2, 3, DataFormat.NCHW), Preprocessing.TORCH, ImageOptions.defaults());
        BufferedImage white = TestImages.solid(2, 1, 0xFFFFFF);
        INDArray batch = p.toBatch(List.of(white, twoPixels()));
        assertArrayEquals(new long[]{2, 3, 1, 2}, batch.shape());
        float[] expected = {
                (1 - 0.485f) / 0.229f, (1 - 0.485f) / 0.229f, (1 - 0.456f) / 0.224f, (1 - 0.456f) / 0.224f,
                (1 - 0.406f) / 0.225f, (1 - 0.406f) / 0.225f,
                (10 / 255f - 0.485f) / 0.229f, (40 / 255f - 0.485f) / 0.229f,
                (20 / 255f - 0.456f) / 0.224f, (50 / 255f - 0.456f) / 0.224f,
                (30 / 255f - 0.406f) / 0.225f, (60 / 255f - 0.406f) / 0.225f};
        assertValues(expected, batch);
    }

    @Test
    void resizesImagesOfOtherSizesWithTheConfiguredPolicy() {
        ImageOptions letterbox = ImageOptions.builder().optResize(ResizePolicy.LETTERBOX).optBackground(Color.BLACK).build();
        ImagePipeline p = new ImagePipeline(new InputSpec(4, 4, 3, DataFormat.NHWC), Preprocessing.NONE, letterbox);
        INDArray batch = p.toBatch(List.of(TestImages.solid(8, 4, 0xFF0000)));
        assertArrayEquals(new long[]{1, 4, 4, 3}, batch.shape());
        // 8x4 fits as 4x2 at rows 1..2; rows 0 and 3 are the black background.
        for (int y = 0; y < 4; y++) {
            float red = y == 1 || y == 2 ? 255f : 0f;
            for (int x = 0; x < 4; x++) {
                assertEquals(red, batch.getFloat(0, y, x, 0), 0f, "row " + y);
                assertEquals(0f, batch.getFloat(0, y, x, 1), 0f);
            }
        }
    }

    @Test
    void loadsAFileAsABatchOfOne() {
        Path file = TestImages.write(TestImages.solid(6, 6, 0x336699), "png", dir.resolve("a b.png"));
        ImagePipeline p = new ImagePipeline(new InputSpec(3, 3, 3, DataFormat.NCHW), Preprocessing.UNIT, ImageOptions.defaults());
        INDArray x = p.load(file);
        assertArrayEquals(new long[]{1, 3, 3, 3}, x.shape());
        assertEquals(0x33 / 255f, x.getFloat(0, 0, 2, 2), 1e-6f);
        assertEquals(0x66 / 255f, x.getFloat(0, 1, 0, 0), 1e-6f);
        assertEquals(0x99 / 255f, x.getFloat(0, 2, 1, 1), 1e-6f);
    }

    @Test
    void fillsOnlyTheRequestedSlotOfABatchBuffer() {
        ImagePipeline p = new ImagePipeline(new InputSpec(1, 2, 3, DataFormat.NHWC), Preprocessing.NONE, ImageOptions.defaults());
        float[] buffer = new float[3 * p.valuesPerImage()];
        Arrays.fill(buffer, Float.NaN);
        Path file = TestImages.write(twoPixels(), "png", dir.resolve("two.png"));
        p.load(file, buffer, 1);
        for (int i = 0; i < buffer.length; i++) {
            boolean inSlot = i >= 6 && i < 12;
            assertEquals(inSlot, !Float.isNaN(buffer[i]), "index " + i);
        }
        assertArrayEquals(new float[]{10, 20, 30, 40, 50, 60}, Arrays.copyOfRange(buffer, 6, 12));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.load(file, buffer, 3));
        assertTrue(e.getMessage().contains("Slot 3"), e.getMessage());
    }

    @Test
    void reportsUndecodableFilesWithTheirName() {
        ImagePipeline p = new ImagePipeline(new InputSpec(2, 2, 3, DataFormat.NCHW), Preprocessing.NONE, ImageOptions.defaults());
        Path missing = dir.resolve("nope.jpg");
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> p.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void rejectsInvalidArguments() {
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> new ImagePipeline(new InputSpec(2, 2, 1, DataFormat.NCHW), Preprocessing.NONE, ImageOptions.defaults()));
        assertTrue(channels.getMessage().contains("1 channels"), channels.getMessage());
        ImagePipeline p = new ImagePipeline(new InputSpec(2, 2, 3, DataFormat.NCHW), Preprocessing.NONE, ImageOptions.defaults());
        assertThrows(IllegalArgumentException.class, () -> p.toBatch(List.of()));
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class, () -> p.toArray(new float[13]));
        assertTrue(length.getMessage().contains("multiple of 12"), length.getMessage());
    }

    @Test
    void optionsHaveDocumentedDefaultsAndValidation() {
        ImageOptions d = ImageOptions.defaults();
        assertEquals(ResizePolicy.SQUASH, d.resize());
        assertEquals(Color.WHITE, d.background());
        assertEquals(50_000_000L, d.maxPixels());
        assertTrue(d.applyExifOrientation());
        assertEquals("ImageOptions(resize=SQUASH, background=#FFFFFF, maxPixels=50000000, applyExifOrientation=true)", d.toString());
        assertEquals(d, ImageOptions.builder().build());
        ImageOptions custom = ImageOptions.builder().optBackground(new Color(1, 2, 3, 0)).build();
        assertEquals(255, custom.background().getAlpha(), "the background is made opaque");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageOptions.builder().optMaxPixels(0));
        assertTrue(e.getMessage().equals("The pixel limit must be at least 1, but was 0."), e.getMessage());
    }
}
