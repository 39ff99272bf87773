package dev.transferkit.store;

import java.nio.file.Path;

/**
 * A store was written with a different {@link StoreSpec} (model, layer, pooling, preprocessing, input spec, feature
 * dimension or label names) than the one the caller needs, so its rows cannot be mixed with new ones or used as if
 * they came from the caller's extractor.
 */
public class StoreMismatchException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * Creates the exception.
     *
     * @param file    the store file
     * @param field   the first differing field, as named in messages (e.g. "layer")
     * @param message a full sentence naming the file, the field and both values
     */
    public StoreMismatchException(Path file, String field, String message) {
        super(file, message);
        this.field = field;
    }

    /**
     * Returns the first spec field that differs.
     *
     * @return the field name as used in the message, e.g. "layer" or "label names"
     */
    public String field() {
        return field;
    }
}
