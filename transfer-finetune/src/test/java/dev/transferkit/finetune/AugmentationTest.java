package dev.transferkit.finetune;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentationTest {
    private static final Augmentation FULL = Augmentation.builder().optRotation(30).optWidthShift(0.2).optHeightShift(0.2)
            .optShear(10).optZoom(0.2).optHorizontalFlip(true).optBrightness(0.7, 1.3).build();

    static BufferedImage gradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 255 / (w - 1)) << 16 | (y * 255 / (h - 1)) << 8 | ((x * 7 + y * 13) % 256));
            }
        }
        return img;
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void sameSeedGivesIdenticalPixels() {
        BufferedImage src = gradient(20, 16);
        assertArrayEquals(pixels(FULL.apply(src, new Random(42))), pixels(FULL.apply(src, new Random(42))));
    }

    @Test
    void differentSeedsDiffer() {
        BufferedImage src = gradient(20, 16);
        assertFalse(Arrays.equals(pixels(FULL.apply(src, new Random(1))), pixels(FULL.apply(src, new Random(2)))));
    }

    @Test
    void noneIsIdentity() {
        BufferedImage src = gradient(20, 16);
        assertTrue(Augmentation.none().isIdentity());
        assertSame(src, Augmentation.none().apply(src, new Random(3)));
    }

    @Test
    void zeroRangesOnlyResampleExactly() {
        // A brightness of exactly 1 with a zero-width range and a flip that is not drawn leaves pixels unchanged.
        Augmentation tiny = Augmentation.builder().optRotation(0).optBrightness(1, 1).optZoom(0).build();
        BufferedImage src = gradient(9, 7);
        assertArrayEquals(pixels(src), pixels(tiny.apply(src, new Random(0))));
    }

    @Test
    void flipMirrorsKnownImage() {
        Augmentation flip = Augmentation.builder().optHorizontalFlip(true).build();
        BufferedImage src = gradient(9, 7);
        int[] in = pixels(src);
        // Find seeds for which the coin is heads and tails.
        boolean sawFlip = false;
        boolean sawKeep = false;
        for (long seed = 1; seed < 20 * 0x9E3779B9L; seed += 0x9E3779B9L) {
            int[] out = pixels(flip.apply(src, new Random(seed)));
            boolean flipped = new Random(seed).nextBoolean();
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 9; x++) {
                    int expected = flipped ? in[y * 9 + (8 - x)] : in[y * 9 + x];
                    assertEquals(expected & 0xFFFFFF, out[y * 9 + x] & 0xFFFFFF, "pixel " + x + "," + y + " seed " + seed);
                }
            }
            sawFlip |= flipped;
            sawKeep |= !flipped;
        }
        assertTrue(sawFlip && sawKeep);
    }

    @Test
    void brightnessScalesChannels() {
        Augmentation dark = Augmentation.builder().optBrightness(0.5, 0.5).build();
        BufferedImage src = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 4; i++) {
            src.setRGB(i % 2, i / 2, 0xC86432);
        }
        assertEquals(0x643219, dark.apply(src, new Random(0)).getRGB(1, 1) & 0xFFFFFF);
    }

    @Test
    void constantFillUsesColourOutsideTheImage() {
        Augmentation shift = Augmentation.builder().optWidthShift(0.5).optFillMode(Augmentation.FillMode.CONSTANT)
                .optFillColor(0x00FF00).build();
        BufferedImage src = new BufferedImage(10, 4, BufferedImage.TYPE_INT_RGB); // black
        BufferedImage out = shift.apply(src, new Random(5));
        double tx = (-0.5 + new Random(5).nextDouble()) * 10; // source = output + tx
        int edge = tx > 0 ? 9 : 0;
        if (Math.abs(tx) >= 1) {
            assertEquals(0x00FF00, out.getRGB(edge, 1) & 0xFFFFFF);
        }
        assertEquals(0, out.getRGB(tx > 0 ? 0 : 9, 1) & 0xFFFFFF);
    }

    @Test
    void invalidSettingsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augmentation.builder().optZoom(1.5));
        assertTrue(e.getMessage().contains("zoom range") && e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Augmentation.builder().optRotation(-1));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.builder().optWidthShift(Double.NaN));
        e = assertThrows(IllegalArgumentException.class, () -> Augmentation.builder().optBrightness(1.2, 0.8));
        assertTrue(e.getMessage().contains("[1.2, 0.8]"), e.getMessage());
    }
}
