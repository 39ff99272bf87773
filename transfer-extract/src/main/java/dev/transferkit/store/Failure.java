package dev.transferkit.store;

import java.util.Objects;

/**
 * An input the extraction could not turn into a row, with the reason.
 *
 * @param path   the input path as the writer was given it
 * @param reason why it failed, e.g. the decoder's message
 */
public record Failure(String path, String reason) {
    /**
     * Validates the failure.
     *
     * @throws IllegalArgumentException when the path is null or empty or the reason is null
     */
    public Failure {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("A failure needs the path of the input that failed, but got "
                    + (path == null ? "null" : "an empty string") + ".");
        }
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return path + ": " + reason;
    }
}
