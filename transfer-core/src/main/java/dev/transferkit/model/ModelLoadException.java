package dev.transferkit.model;

import dev.transferkit.core.TransferKitException;

/** Thrown when a pretrained model cannot be obtained, read or converted; the message names the file and the problem. */
public class ModelLoadException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the file and what was wrong with it
     */
    public ModelLoadException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the file and what was wrong with it
     * @param cause   the underlying exception
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
