package dev.transferkit.finetune;

import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.Random;

/**
 * Random image augmentation in the manner of Keras' {@code ImageDataGenerator}: rotation, width and height shift,
 * shear, zoom, horizontal flip and brightness, combined into one affine transform plus a brightness factor and
 * applied with bilinear sampling.
 *
 * <p>The transform maps each output pixel centre to a source position around the image centre. Source positions
 * outside the image are filled according to {@link FillMode}. Random values are drawn from the {@link Random}
 * passed to {@link #apply} in a fixed order, so the same seed gives the same pixels. Instances are immutable; it is a
 * record so that a {@link FineTuner}'s checkpoint fingerprint covers every component.
 *
 * @param rotation       rotate by a uniform angle in {@code [-rotation, rotation]} degrees, 0 to 180
 * @param widthShift     shift horizontally by up to this fraction of the width, 0 to 1
 * @param heightShift    shift vertically by up to this fraction of the height, 0 to 1
 * @param shear          shear by a uniform angle in {@code [-shear, shear]} degrees, 0 to below 90
 * @param zoom           zoom each axis by a uniform factor in {@code [1 - zoom, 1 + zoom]}, 0 to below 1
 * @param horizontalFlip mirror left-right with probability 1/2
 * @param brightnessMin  smallest brightness factor, positive
 * @param brightnessMax  largest brightness factor, at least {@code brightnessMin}
 * @param fillMode       how to fill positions outside the source image
 * @param fillColor      the fill colour for {@link FillMode#CONSTANT}, as 0xRRGGBB (higher bits are dropped)
 */
public record Augmentation(double rotation, double widthShift, double heightShift, double shear, double zoom,
                           boolean horizontalFlip, double brightnessMin, double brightnessMax, FillMode fillMode,
                           int fillColor) {
    /** What to sample where the transform reaches outside the source image. */
    public enum FillMode {
        /** Repeat the nearest edge pixel (Keras' default). */
        NEAREST,
        /** Use a constant colour ({@link Builder#optFillColor(int)}). */
        CONSTANT
    }

    private static final Augmentation NONE = builder().build();

    /**
     * Checks the ranges given with each component.
     *
     * @throws IllegalArgumentException naming the component and its value when it is out of range
     */
    public Augmentation {
        check("rotation", rotation, 180);
        check("width shift", widthShift, 1);
        check("height shift", heightShift, 1);
        check("shear", shear, 89.9);
        check("zoom range", zoom, 0.99);
        checkBrightness(brightnessMin, brightnessMax);
        Objects.requireNonNull(fillMode, "fillMode");
        fillColor &= 0xFFFFFF;
    }

    /** @return a builder; every transformation is off until set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the augmentation that changes nothing */
    public static Augmentation none() {
        return NONE;
    }

    /** @return true when this augmentation never changes an image */
    public boolean isIdentity() {
        return rotation == 0 && widthShift == 0 && heightShift == 0 && shear == 0 && zoom == 0 && !horizontalFlip
                && brightnessMin == 1 && brightnessMax == 1;
    }

    /**
     * Applies one random draw of this augmentation.
     *
     * @param image  the source image (not modified)
     * @param random the source of randomness; the same state gives the same result
     * @return a new TYPE_INT_RGB image of the same size, or {@code image} itself when {@link #isIdentity()}
     */
    public BufferedImage apply(BufferedImage image, Random random) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(random, "random");
        if (isIdentity()) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        double theta = rotation == 0 ? 0 : Math.toRadians(uniform(random, -rotation, rotation));
        double tx = widthShift == 0 ? 0 : uniform(random, -widthShift, widthShift) * w;
        double ty = heightShift == 0 ? 0 : uniform(random, -heightShift, heightShift) * h;
        double sh = shear == 0 ? 0 : Math.toRadians(uniform(random, -shear, shear));
        double zx = zoom == 0 ? 1 : uniform(random, 1 - zoom, 1 + zoom);
        double zy = zoom == 0 ? 1 : uniform(random, 1 - zoom, 1 + zoom);
        boolean flip = horizontalFlip && random.nextBoolean();
        double factor = brightnessMin == brightnessMax ? brightnessMin : uniform(random, brightnessMin, brightnessMax);

        // Output pixel centre (relative to the image centre) -> source position, as Keras applies its matrix.
        double cx = w / 2.0;
        double cy = h / 2.0;
        AffineTransform t = new AffineTransform();
        t.translate(cx + tx, cy + ty);
        t.rotate(theta);
        t.concatenate(new AffineTransform(1, 0, -Math.sin(sh), Math.cos(sh), 0, 0));
        t.scale(flip ? -zx : zx, zy);
        t.translate(-cx, -cy);

        int[] src = image.getRGB(0, 0, w, h, null, 0, w);
        int[] out = new int[w * h];
        if (theta == 0 && tx == 0 && ty == 0 && sh == 0 && zx == 1 && zy == 1) {
            // No geometry but a possible flip: every output pixel samples one source pixel centre exactly, so copying
            // it gives the same values as the bilinear resampling below, without it.
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = brighten(src[y * w + (flip ? w - 1 - x : x)], factor);
                }
            }
            return toImage(out, w, h);
        }
        double[] pt = new double[2];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                pt[0] = x + 0.5;
                pt[1] = y + 0.5;
                t.transform(pt, 0, pt, 0, 1);
                out[y * w + x] = brighten(sample(src, w, h, pt[0] - 0.5, pt[1] - 0.5), factor);
            }
        }
        return toImage(out, w, h);
    }

    private static BufferedImage toImage(int[] rgb, int w, int h) {
        BufferedImage result = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        result.setRGB(0, 0, w, h, rgb, 0, w);
        return result;
    }

    private static double check(String what, double value, double max) {
        if (!(value >= 0) || value > max) {
            throw new IllegalArgumentException("The " + what + " must be between 0 and " + max + ", but was " + value + ".");
        }
        return value;
    }

    private static void checkBrightness(double min, double max) {
        if (!(min > 0) || !(max >= min) || Double.isInfinite(max)) {
            throw new IllegalArgumentException("The brightness range must satisfy 0 < min <= max, but was [" + min
                    + ", " + max + "].");
        }
    }

    private static double uniform(Random random, double lo, double hi) {
        return lo + (hi - lo) * random.nextDouble();
    }

    /** Bilinear sample at pixel coordinates (pixel i's centre is at i). */
    private int sample(int[] src, int w, int h, double x, double y) {
        if (fillMode == FillMode.CONSTANT && (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5)) {
            return fillColor;
        }
        double fx = Math.min(Math.max(x, 0), w - 1);
        double fy = Math.min(Math.max(y, 0), h - 1);
        int x0 = (int) Math.floor(fx);
        int y0 = (int) Math.floor(fy);
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double ax = fx - x0;
        double ay = fy - y0;
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            double top = channel(src[y0 * w + x0], shift) * (1 - ax) + channel(src[y0 * w + x1], shift) * ax;
            double bottom = channel(src[y1 * w + x0], shift) * (1 - ax) + channel(src[y1 * w + x1], shift) * ax;
            int v = (int) Math.round(top * (1 - ay) + bottom * ay);
            rgb |= clamp(v) << shift;
        }
        return rgb;
    }

    private static int brighten(int rgb, double factor) {
        if (factor == 1) {
            return rgb & 0xFFFFFF;
        }
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            out |= clamp((int) Math.round(channel(rgb, shift) * factor)) << shift;
        }
        return out;
    }

    private static int channel(int rgb, int shift) {
        return (rgb >> shift) & 0xFF;
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    @Override
    public String toString() {
        if (isIdentity()) {
            return "Augmentation(none)";
        }
        return "Augmentation(rotation=±" + rotation + "°, widthShift=±" + widthShift + ", heightShift=±" + heightShift
                + ", shear=±" + shear + "°, zoom=±" + zoom + ", horizontalFlip=" + horizontalFlip
                + ", brightness=[" + brightnessMin + ", " + brightnessMax + "], fill=" + fillMode
                + (fillMode == FillMode.CONSTANT ? String.format(" #%06x", fillColor) : "") + ")";
    }

    /** Builds an {@link Augmentation}; every setting is optional. */
    public static final class Builder {
        private double rotation;
        private double widthShift;
        private double heightShift;
        private double shear;
        private double zoom;
        private boolean horizontalFlip;
        private double brightnessMin = 1;
        private double brightnessMax = 1;
        private FillMode fillMode = FillMode.NEAREST;
        private int fillColor;

        private Builder() {
        }

        /**
         * @param degrees rotate by a uniform angle in {@code [-degrees, degrees]}, 0 to 180
         * @return this builder
         */
        public Builder optRotation(double degrees) {
            this.rotation = check("rotation", degrees, 180);
            return this;
        }

        /**
         * @param fraction shift horizontally by up to this fraction of the width, 0 to 1
         * @return this builder
         */
        public Builder optWidthShift(double fraction) {
            this.widthShift = check("width shift", fraction, 1);
            return this;
        }

        /**
         * @param fraction shift vertically by up to this fraction of the height, 0 to 1
         * @return this builder
         */
        public Builder optHeightShift(double fraction) {
            this.heightShift = check("height shift", fraction, 1);
            return this;
        }

        /**
         * @param degrees shear by a uniform angle in {@code [-degrees, degrees]}, 0 to below 90
         * @return this builder
         */
        public Builder optShear(double degrees) {
            this.shear = check("shear", degrees, 89.9);
            return this;
        }

        /**
         * @param range zoom each axis by a uniform factor in {@code [1 - range, 1 + range]}, 0 to below 1
         * @return this builder
         */
        public Builder optZoom(double range) {
            this.zoom = check("zoom range", range, 0.99);
            return this;
        }

        /**
         * @param flip mirror left-right with probability 1/2
         * @return this builder
         */
        public Builder optHorizontalFlip(boolean flip) {
            this.horizontalFlip = flip;
            return this;
        }

        /**
         * @param min smallest brightness factor, positive
         * @param max largest brightness factor, at least {@code min}
         * @return this builder
         */
        public Builder optBrightness(double min, double max) {
            checkBrightness(min, max);
            this.brightnessMin = min;
            this.brightnessMax = max;
            return this;
        }

        /**
         * @param mode how to fill positions outside the source image
         * @return this builder
         */
        public Builder optFillMode(FillMode mode) {
            this.fillMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * @param rgb the fill colour for {@link FillMode#CONSTANT}, as 0xRRGGBB
         * @return this builder
         */
        public Builder optFillColor(int rgb) {
            this.fillColor = rgb;
            return this;
        }

        /** @return the augmentation */
        public Augmentation build() {
            return new Augmentation(rotation, widthShift, heightShift, shear, zoom, horizontalFlip, brightnessMin,
                    brightnessMax, fillMode, fillColor);
        }
    }
}
