package dev.transferkit.image;

import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.image.BufferedImage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageResizerTest {
    private static final int RED = 0xFF0000;
    private static final int GREEN = 0x00FF00;
    private static final int BLUE = 0x0000FF;

    private static BufferedImage greyRow(int... values) {
        BufferedImage img = new BufferedImage(values.length, 1, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < values.length; x++) {
            img.setRGB(x, 0, values[x] * 0x010101);
        }
        return img;
    }

    private static int[] greys(BufferedImage img) {
        int[] out = new int[img.getWidth()];
        for (int x = 0; x < out.length; x++) {
            out[x] = img.getRGB(x, 0) & 0xFF;
        }
        return out;
    }

    /** Vertical stripes of three colours, each a third of the width (or horizontal ones when tall). */
    private static BufferedImage thirds(int w, int h, boolean vertical) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int t = vertical ? x * 3 / w : y * 3 / h;
                img.setRGB(x, y, t == 0 ? BLUE : t == 1 ? RED : GREEN);
            }
        }
        return img;
    }

    @Test
    void enlargesWithBilinearInterpolationBetweenPixelCentres() {
        // Output centres fall at source x = 0.25, 0.75, 1.25, 1.75: weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1)
        BufferedImage out = ImageResizer.resize(greyRow(0, 255), 4, 1, ResizePolicy.SQUASH, Color.WHITE);
        assertArrayEquals(new int[]{0, 64, 191, 255}, greys(out));
    }

    @Test
    void shrinksWithAWidenedTriangleFilter() {
        // Scale 2: output 0 is centred on x = 1.0 with taps x0..x2 weighted 0.75, 0.75, 0.25 (sum 1.75):
        // (0 * .75 + 100 * .75 + 200 * .25) / 1.75 = 71.4; output 1: (100 * .25 + 200 * .75 + 255 * .75) / 1.75 = 209.3
        BufferedImage out = ImageResizer.resize(greyRow(0, 100, 200, 255), 2, 1, ResizePolicy.SQUASH, Color.WHITE);
        assertArrayEquals(new int[]{71, 209}, greys(out));
    }

    @Test
    void shrinkingFineLinesAveragesEveryPixelInsteadOfAliasing() {
        // Every fourth column is white: the true average is 255 / 4 = 63.75. Plain bilinear sampling at a scale of 8
        // would read only two neighbouring columns (giving 0, 127 or 255); the widened filter sees all of them.
        BufferedImage lines = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x += 4) {
                lines.setRGB(x, y, 0xFFFFFF);
            }
        }
        BufferedImage out = ImageResizer.resize(lines, 8, 8, ResizePolicy.SQUASH, Color.WHITE);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int v = out.getRGB(x, y) & 0xFF;
                assertTrue(v >= 55 && v <= 75, "pixel " + x + "," + y + " = " + v);
            }
        }
        assertEquals(64, out.getRGB(3, 3) & 0xFF, "an interior pixel is the exact average");
    }

    @Test
    void squashStretchesTheWholeImage() {
        BufferedImage src = TestImages.quadrants(40, 20, RED, GREEN, BLUE, 0xFFFFFF);
        BufferedImage out = ImageResizer.resize(src, 10, 30, ResizePolicy.SQUASH, Color.BLACK);
        assertEquals(10, out.getWidth());
        assertEquals(30, out.getHeight());
        assertEquals(BufferedImage.TYPE_INT_RGB, out.getType());
        assertEquals(RED, out.getRGB(1, 2) & 0xFFFFFF);
        assertEquals(GREEN, out.getRGB(8, 12) & 0xFFFFFF);
        assertEquals(BLUE, out.getRGB(1, 17) & 0xFFFFFF);
        assertEquals(0xFFFFFF, out.getRGB(8, 28) & 0xFFFFFF);
    }

    @Test
    void centerCropKeepsOnlyTheMiddle() {
        BufferedImage wide = ImageResizer.resize(thirds(300, 100, true), 50, 50, ResizePolicy.CENTER_CROP, Color.BLACK);
        BufferedImage tall = ImageResizer.resize(thirds(90, 270, false), 30, 30, ResizePolicy.CENTER_CROP, Color.BLACK);
        for (BufferedImage out : new BufferedImage[]{wide, tall}) {
            for (int y = 0; y < out.getHeight(); y++) {
                for (int x = 0; x < out.getWidth(); x++) {
                    assertEquals(RED, out.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
                }
            }
        }
        // Not square: a 100x100 image cropped to 40x20 keeps the middle half of the rows.
        BufferedImage crop = ImageResizer.resize(thirds(99, 99, false), 40, 20, ResizePolicy.CENTER_CROP, Color.BLACK);
        assertEquals(RED, crop.getRGB(20, 10) & 0xFFFFFF);
        assertEquals(40, crop.getWidth());
        assertEquals(20, crop.getHeight());
    }

    @Test
    void letterboxFitsInsideAndPadsWithTheBackground() {
        BufferedImage out = ImageResizer.resize(TestImages.solid(200, 100, RED), 50, 50, ResizePolicy.LETTERBOX, Color.BLUE);
        // The image becomes 50 x 25, placed at rows 12..36.
        for (int y = 0; y < 50; y++) {
            int expected = y >= 12 && y < 37 ? RED : BLUE;
            for (int x = 0; x < 50; x++) {
                assertEquals(expected, out.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
        BufferedImage tall = ImageResizer.resize(TestImages.solid(10, 40, RED), 20, 20, ResizePolicy.LETTERBOX, Color.BLUE);
        // 5 x 20 at columns 7..11
        assertEquals(BLUE, tall.getRGB(6, 10) & 0xFFFFFF);
        assertEquals(RED, tall.getRGB(7, 10) & 0xFFFFFF);
        assertEquals(RED, tall.getRGB(11, 10) & 0xFFFFFF);
        assertEquals(BLUE, tall.getRGB(12, 10) & 0xFFFFFF);
    }

    @Test
    void returnsTheInputWhenItAlreadyFitsAndConvertsOtherTypes() {
        BufferedImage rgb = TestImages.solid(7, 5, GREEN);
        assertSame(rgb, ImageResizer.resize(rgb, 7, 5, ResizePolicy.CENTER_CROP, Color.WHITE));
        BufferedImage argb = new BufferedImage(7, 5, BufferedImage.TYPE_INT_ARGB);
        BufferedImage out = ImageResizer.resize(argb, 7, 5, ResizePolicy.SQUASH, Color.BLUE);
        assertEquals(BufferedImage.TYPE_INT_RGB, out.getType());
        assertEquals(BLUE, out.getRGB(3, 3) & 0xFFFFFF, "transparent pixels take the background");
    }

    @Test
    void rejectsNonPositiveTargets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageResizer.resize(TestImages.solid(2, 2, 0), 0, 5, ResizePolicy.SQUASH, Color.WHITE));
        assertTrue(e.getMessage().contains("0 x 5"), e.getMessage());
    }
}
