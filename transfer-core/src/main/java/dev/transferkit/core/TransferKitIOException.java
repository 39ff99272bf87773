package dev.transferkit.core;

import java.io.IOException;

/**
 * A file or stream could not be read or written. The message names the file (or what was being written) and what
 * failed; the {@link IOException} is the cause.
 */
public class TransferKitIOException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a full sentence naming the file and what failed
     * @param cause   the I/O error
     */
    public TransferKitIOException(String message, IOException cause) {
        super(message, cause);
    }
}
