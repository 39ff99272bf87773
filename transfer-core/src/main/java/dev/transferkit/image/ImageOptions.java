package dev.transferkit.image;

/** TEMPORARY signature shim; replaced by the image pipeline work. */
public final class ImageOptions {
    public static ImageOptions defaults() {
        return new ImageOptions();
    }
}
