package dev.transferkit.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An image that was left out, and why.
 *
 * @param path   the image file
 * @param reason a sentence or clause saying what went wrong
 */
public record ImageFailure(Path path, String reason) {
    /**
     * Validates the fields.
     *
     * @throws NullPointerException when a field is null
     */
    public ImageFailure {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
    }
}
