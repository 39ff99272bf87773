package dev.transferkit.image;

/** How an image is brought to the width and height a network expects. */
public enum ResizePolicy {
    /** Stretch the whole image to the target size; the aspect ratio changes when the shapes differ. */
    SQUASH,
    /** Scale so that the shorter side fits the target, then cut the centre out; the borders are lost. */
    CENTER_CROP,
    /** Scale so that the whole image fits inside the target and pad the rest with the background colour. */
    LETTERBOX
}
