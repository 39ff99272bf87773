package dev.transferkit.store;

import java.nio.file.Path;

/**
 * A file is not a readable TransferKit feature store: it is not HDF5 at all, it is an HDF5 file without the store
 * layout, it is truncated or corrupt, or it was written by a newer store format version.
 */
public class StoreFormatException extends StoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param file    the offending file
     * @param message a full sentence naming the file and what is wrong with it
     */
    public StoreFormatException(Path file, String message) {
        super(file, message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param file    the offending file
     * @param message a full sentence naming the file and what is wrong with it
     * @param cause   the exception that revealed the problem
     */
    public StoreFormatException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }
}
