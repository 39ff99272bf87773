package dev.transferkit.store;

import java.nio.file.Path;

/**
 * Another writer, in this process or another one, holds the lock file of a store, so this writer must not touch it.
 */
public class StoreLockedException extends StoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param file    the store file
     * @param message a full sentence naming the store, its lock file and what to do
     */
    public StoreLockedException(Path file, String message) {
        super(file, message);
    }
}
