package dev.transferkit.model.tfjs;

import dev.transferkit.model.ModelLoadException;

/**
 * Thrown when a TensorFlow.js model cannot be read or imported: malformed or unsupported {@code model.json}, a
 * missing or wrongly sized weight shard, an unknown weight dtype, a graph model, or a layer DL4J cannot build.
 * The message names the file and the problem.
 */
public class TfjsFormatException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the file and what was wrong with it
     */
    public TfjsFormatException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the file and what was wrong with it
     * @param cause   the underlying exception
     */
    public TfjsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
