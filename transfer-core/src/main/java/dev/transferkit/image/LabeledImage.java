package dev.transferkit.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An image file and its class name.
 *
 * @param path  the image file
 * @param label the class name, e.g. {@code "food"}
 */
public record LabeledImage(Path path, String label) {
    /**
     * Validates the fields.
     *
     * @throws NullPointerException when the path or label is null
     */
    public LabeledImage {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(label, "label");
    }
}
