package dev.transferkit.examples.data;

/**
 * Thrown when an IDX file (the format of MNIST and Fashion-MNIST) is not what its header promises: a wrong magic
 * number, an unsupported data type, impossible dimensions, a truncated body, trailing data, or labels that do not
 * fit their images. The message names the file.
 */
public class IdxFormatException extends DatasetException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the file and the problem
     */
    public IdxFormatException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the file and the problem
     * @param cause   the underlying exception
     */
    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
