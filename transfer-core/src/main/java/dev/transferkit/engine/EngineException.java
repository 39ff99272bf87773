package dev.transferkit.engine;

import dev.transferkit.core.TransferKitException;

/** Thrown when a network cannot be compiled into native operations, or a batch does not fit the compiled network. */
public class EngineException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /** @param message a full sentence naming the network part and the problem */
    public EngineException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the network part and the problem
     * @param cause   the underlying failure
     */
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
