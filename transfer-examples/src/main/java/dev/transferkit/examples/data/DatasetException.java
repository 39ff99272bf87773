package dev.transferkit.examples.data;

import dev.transferkit.core.TransferKitException;

/**
 * Thrown when an example dataset cannot be obtained, built or verified: a source file is missing or malformed, a
 * cached dataset is incomplete or was changed, or a requested setting is not allowed (such as an emoji vendor whose
 * images may not be redistributed). The message names the file or setting and says what to do.
 */
public class DatasetException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the file or setting and the problem
     */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the file or setting and the problem
     * @param cause   the underlying exception
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
