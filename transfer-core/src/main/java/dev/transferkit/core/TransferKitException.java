package dev.transferkit.core;

/**
 * The root of every exception TransferKit throws on purpose. Messages are full sentences that name the
 * offending file, value or setting and say what was expected instead.
 */
public class TransferKitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message a full sentence naming what was wrong and where
     */
    public TransferKitException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message a full sentence naming what was wrong and where
     * @param cause   the exception that revealed the problem
     */
    public TransferKitException(String message, Throwable cause) {
        super(message, cause);
    }
}
