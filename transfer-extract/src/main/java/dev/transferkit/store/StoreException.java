package dev.transferkit.store;

import dev.transferkit.core.TransferKitException;

import java.nio.file.Path;

/**
 * A feature store could not be read or written. The message names the store file; subclasses mark the cases a caller
 * may want to handle on their own (a foreign or damaged file, a spec mismatch, an incomplete store, a store in use).
 */
public class StoreException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates an exception about one store file.
     *
     * @param file    the store file the problem concerns
     * @param message a full sentence naming the file and the problem
     */
    public StoreException(Path file, String message) {
        super(message);
        this.file = file;
    }

    /**
     * Creates an exception about one store file, with its cause.
     *
     * @param file    the store file the problem concerns
     * @param message a full sentence naming the file and the problem
     * @param cause   the exception that revealed the problem
     */
    public StoreException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /**
     * Returns the store file the problem concerns.
     *
     * @return the file path as given by the caller
     */
    public Path file() {
        return file;
    }
}
