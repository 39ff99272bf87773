package dev.transferkit.onnx;

import dev.transferkit.core.TransferKitException;

/**
 * An ONNX model could not be mapped onto a DL4J {@code ComputationGraph}: an operator, an attribute value or a
 * tensor layout that {@link OnnxGraphImporter} does not support, or a model that is malformed. The message is a
 * full sentence naming the operator, the node and its inputs, and what would have been accepted.
 */
public class OnnxImportException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message a full sentence naming the node and what was wrong
     */
    public OnnxImportException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message a full sentence naming the node and what was wrong
     * @param cause   the exception that revealed the problem
     */
    public OnnxImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
