package dev.transferkit.core;

/**
 * A builder's {@code build()} was called without a setting it requires. The message names the builder, the missing
 * setting and the method that sets it, e.g. "A FeatureExtractor needs a model: call setModel."
 */
public class MissingSettingException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a full sentence naming the builder, the setting and its setter
     */
    public MissingSettingException(String message) {
        super(message);
    }

    /**
     * Checks a required setting.
     *
     * @param value   the setting's value
     * @param message the message when it is missing
     * @param <T>     its type
     * @return the value
     * @throws MissingSettingException when the value is null
     */
    public static <T> T require(T value, String message) {
        if (value == null) {
            throw new MissingSettingException(message);
        }
        return value;
    }
}
