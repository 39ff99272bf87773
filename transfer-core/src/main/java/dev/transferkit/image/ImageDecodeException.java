package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;

import java.nio.file.Path;

/**
 * Thrown when an image file cannot be turned into pixels: it is missing, empty, not an image, in an
 * unsupported format, truncated or corrupt, or larger than {@link ImageOptions#maxPixels()} allows.
 *
 * <p>The message names the file and the reason, e.g. {@code "The file /x/a.jpg could not be decoded: it is
 * empty (0 bytes)."}
 */
public class ImageDecodeException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /** The file that failed; transient because {@link Path} is not serializable. */
    private final transient Path file;
    private final String reason;

    /**
     * Creates the exception.
     *
     * @param file   the image file that failed
     * @param reason why, as a clause that completes "could not be decoded: ..." (no final full stop)
     */
    public ImageDecodeException(Path file, String reason) {
        super(message(file, reason));
        this.file = file;
        this.reason = reason;
    }

    /**
     * Creates the exception with the underlying cause.
     *
     * @param file   the image file that failed
     * @param reason why, as a clause that completes "could not be decoded: ..." (no final full stop)
     * @param cause  the exception that revealed the problem
     */
    public ImageDecodeException(Path file, String reason, Throwable cause) {
        super(message(file, reason), cause);
        this.file = file;
        this.reason = reason;
    }

    private static String message(Path file, String reason) {
        String r = reason.endsWith(".") ? reason : reason + ".";
        return "The file " + file + " could not be decoded: " + r;
    }

    /** @return the image file that failed (null after deserialization) */
    public Path file() {
        return file;
    }

    /** @return the reason, without the file name */
    public String reason() {
        return reason;
    }
}
