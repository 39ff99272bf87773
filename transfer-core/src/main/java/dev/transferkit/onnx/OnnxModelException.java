package dev.transferkit.onnx;

import dev.transferkit.core.TransferKitException;

/** Thrown when an ONNX model file cannot be used: missing, not ONNX, truncated, or with inputs TransferKit cannot feed. */
public class OnnxModelException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /** @param message a full sentence naming the file and the problem */
    public OnnxModelException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the file and the problem
     * @param cause   the underlying failure
     */
    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
