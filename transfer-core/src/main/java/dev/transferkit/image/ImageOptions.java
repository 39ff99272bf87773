package dev.transferkit.image;

import dev.transferkit.core.Checks;
import java.util.LinkedHashMap;
import java.util.Map;

import java.awt.Color;
import java.io.Serializable;
import java.util.Objects;

/**
 * How image files are decoded and brought to a network's input size. Immutable; create with
 * {@link #builder()} or take {@link #defaults()}.
 *
 * <p>Defaults: {@link ResizePolicy#SQUASH}, white background, at most 50,000,000 pixels per image, EXIF
 * orientation applied. Serializable, so that Spark tasks receive them as they are.
 */
public final class ImageOptions implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The default pixel limit: 50 megapixels, about 200 MB as decoded RGB. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    private static final ImageOptions DEFAULTS = builder().build();

    private final ResizePolicy resize;
    private final Color background;
    private final long maxPixels;
    private final boolean applyExifOrientation;

    private ImageOptions(Builder b) {
        this.resize = b.resize;
        this.background = b.background;
        this.maxPixels = b.maxPixels;
        this.applyExifOrientation = b.applyExifOrientation;
    }

    /**
     * Returns the default options.
     *
     * @return SQUASH, white background, 50 megapixel limit, EXIF orientation applied
     */
    public static ImageOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Starts a builder with the default values.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return how images are brought to the target size */
    public ResizePolicy resize() {
        return resize;
    }

    /** @return the opaque colour that transparent pixels are composited onto and letterbox bars are filled with */
    public Color background() {
        return background;
    }

    /** @return the largest width x height an image may have; larger images are refused before decoding */
    public long maxPixels() {
        return maxPixels;
    }

    /** @return whether the EXIF orientation tag is honoured so that images come out upright */
    public boolean applyExifOrientation() {
        return applyExifOrientation;
    }

    /**
     * Tells whether two options give a network the same pixels for every image they both accept: same resize policy,
     * background and EXIF handling (the pixel limit only decides which files are refused).
     *
     * @param other the options to compare with
     * @return whether features made with either are interchangeable
     */
    public boolean samePixels(ImageOptions other) {
        return resize == other.resize && background.getRGB() == other.background.getRGB()
                && applyExifOrientation == other.applyExifOrientation;
    }

    /**
     * The options as a map of plain values, as stores and predictors record them: {@code resize} (the policy's name),
     * {@code background} ({@code #RRGGBB}), {@code applyExifOrientation} and {@code maxPixels}.
     *
     * @return a new map
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resize", resize.name());
        m.put("background", String.format("#%06X", background.getRGB() & 0xFFFFFF));
        m.put("applyExifOrientation", applyExifOrientation);
        m.put("maxPixels", maxPixels);
        return m;
    }

    /**
     * Reads options written by {@link #toMap()}.
     *
     * @param map the recorded values
     * @return the options
     * @throws IllegalArgumentException naming the key when a value is missing or malformed
     */
    public static ImageOptions fromMap(Map<String, ?> map) {
        Object resize = map.get("resize");
        Object background = map.get("background");
        Object exif = map.get("applyExifOrientation");
        Object maxPixels = map.get("maxPixels");
        if (!(resize instanceof String r) || java.util.Arrays.stream(ResizePolicy.values()).noneMatch(v -> v.name().equals(r))) {
            throw new IllegalArgumentException("The recorded image option 'resize' is " + resize + ", not one of "
                    + java.util.Arrays.toString(ResizePolicy.values()) + ".");
        }
        if (!(background instanceof String b) || !b.matches("#[0-9A-Fa-f]{6}")) {
            throw new IllegalArgumentException("The recorded image option 'background' is " + background + ", not #RRGGBB.");
        }
        if (!(exif instanceof Boolean e)) {
            throw new IllegalArgumentException("The recorded image option 'applyExifOrientation' is " + exif + ", not true or false.");
        }
        if (!(maxPixels instanceof Number n) || n.longValue() < 1) {
            throw new IllegalArgumentException("The recorded image option 'maxPixels' is " + maxPixels + ", not a positive number.");
        }
        return builder().optResize(ResizePolicy.valueOf(r)).optBackground(new Color(Integer.parseInt(b.substring(1), 16)))
                .optApplyExifOrientation(e).optMaxPixels(n.longValue()).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageOptions x && resize == x.resize && background.equals(x.background)
                && maxPixels == x.maxPixels && applyExifOrientation == x.applyExifOrientation;
    }

    @Override
    public int hashCode() {
        return Objects.hash(resize, background, maxPixels, applyExifOrientation);
    }

    @Override
    public String toString() {
        return "ImageOptions(resize=" + resize + ", background=" + String.format("#%06X", background.getRGB() & 0xFFFFFF)
                + ", maxPixels=" + maxPixels + ", applyExifOrientation=" + applyExifOrientation + ")";
    }

    /** Builds {@link ImageOptions}; every setting is optional. */
    public static final class Builder {
        private ResizePolicy resize = ResizePolicy.SQUASH;
        private Color background = Color.WHITE;
        private long maxPixels = DEFAULT_MAX_PIXELS;
        private boolean applyExifOrientation = true;

        private Builder() {
        }

        /**
         * Sets how images are brought to the target size (default {@link ResizePolicy#SQUASH}).
         *
         * @param resize the policy
         * @return this builder
         */
        public Builder optResize(ResizePolicy resize) {
            this.resize = Objects.requireNonNull(resize, "resize");
            return this;
        }

        /**
         * Sets the background colour (default white). Transparent pixels are composited onto it and letterbox
         * bars are filled with it. Its own alpha is ignored.
         *
         * @param background the colour
         * @return this builder
         */
        public Builder optBackground(Color background) {
            Objects.requireNonNull(background, "background");
            this.background = new Color(background.getRGB() & 0xFFFFFF);
            return this;
        }

        /**
         * Sets the largest number of pixels (width x height) an image may have (default 50,000,000). The size is
         * read from the file header before any pixel is decoded, so a small file that claims a huge size (a
         * decompression bomb) is refused without allocating memory.
         *
         * @param maxPixels the limit, positive
         * @return this builder
         * @throws IllegalArgumentException when the limit is not positive
         */
        public Builder optMaxPixels(long maxPixels) {
            this.maxPixels = Checks.atLeast("The pixel limit", maxPixels, 1L);
            return this;
        }

        /**
         * Sets whether the EXIF orientation tag (values 1 to 8) is honoured (default true), so that photos taken
         * with a rotated camera come out upright.
         *
         * @param apply true to rotate/mirror images as their EXIF data says
         * @return this builder
         */
        public Builder optApplyExifOrientation(boolean apply) {
            this.applyExifOrientation = apply;
            return this;
        }

        /**
         * Creates the options.
         *
         * @return the immutable options
         */
        public ImageOptions build() {
            return new ImageOptions(this);
        }
    }
}
