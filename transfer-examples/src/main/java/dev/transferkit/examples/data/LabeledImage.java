package dev.transferkit.examples.data;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * One image with its class.
 *
 * @param image     the image
 * @param label     the class index
 * @param className the class name, the name of the class directory in the image-folder layout
 */
public record LabeledImage(BufferedImage image, int label, String className) {
    /**
     * @throws IllegalArgumentException when the label is negative
     */
    public LabeledImage {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(className, "className");
        if (label < 0) {
            throw new IllegalArgumentException("The label of " + className + " must not be negative, but was " + label + ".");
        }
    }

    /** @return the label, class name and image size */
    @Override
    public String toString() {
        return "LabeledImage(" + label + " " + className + ", " + image.getWidth() + "x" + image.getHeight() + ")";
    }
}
