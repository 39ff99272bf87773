package dev.transferkit.core;

/**
 * Checks of builder arguments. Each returns the value it was given and otherwise throws an
 * {@link IllegalArgumentException} whose message is one sentence naming the value, for example
 * {@code "The batch size must be at least 1, but was 0."}.
 */
public final class Checks {
    private Checks() {
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "The batch size"}
     * @param value the value
     * @param min   the smallest value allowed
     * @return {@code value}
     * @throws IllegalArgumentException when {@code value < min}
     */
    public static int atLeast(String what, int value, int min) {
        if (value < min) {
            throw failure(what, "at least " + min, value);
        }
        return value;
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "The pixel limit"}
     * @param value the value
     * @param min   the smallest value allowed
     * @return {@code value}
     * @throws IllegalArgumentException when {@code value < min}
     */
    public static long atLeast(String what, long value, long min) {
        if (value < min) {
            throw failure(what, "at least " + min, value);
        }
        return value;
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "The tolerance"}
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException when it is not above zero (NaN included)
     */
    public static double positive(String what, double value) {
        if (!(value > 0)) {
            throw failure(what, "positive", value);
        }
        return value;
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "C"}
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException when it is not above zero or is infinite (NaN included)
     */
    public static double finitePositive(String what, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw failure(what, "positive and finite", value);
        }
        return value;
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "The L2 penalty"}
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException when it is below zero (NaN included)
     */
    public static double zeroOrPositive(String what, double value) {
        if (!(value >= 0)) {
            throw failure(what, "zero or positive", value);
        }
        return value;
    }

    /**
     * @param what  the subject of the message, capitalised, e.g. {@code "Dropout"}
     * @param value the value
     * @param from  the smallest value allowed
     * @param below the value it must stay below
     * @return {@code value}
     * @throws IllegalArgumentException when it is outside {@code [from, below)} (NaN included)
     */
    public static double inRange(String what, double value, double from, double below) {
        if (!(value >= from && value < below)) {
            throw failure(what, "in [" + from + ", " + below + ")", value);
        }
        return value;
    }

    private static IllegalArgumentException failure(String what, String rule, Object value) {
        return new IllegalArgumentException(what + " must be " + rule + ", but was " + value + ".");
    }
}
