package dev.transferkit.examples;

import dev.transferkit.core.Checks;

/** Checks of the example mains' command-line values, with messages that name the value. */
final class Arguments {
    private Arguments() {
    }

    /**
     * Parses a positive whole number.
     *
     * @param text the argument
     * @param what what it means, for the message, e.g. {@code "images per split"}
     * @return the number
     * @throws IllegalArgumentException when it is not a positive whole number
     */
    static int positiveInt(String text, String what) {
        int n;
        try {
            n = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The " + what + " must be a positive whole number, but was '" + text + "'.", e);
        }
        return requirePositive(n, what);
    }

    /**
     * @param n    a number
     * @param what what it means, for the message
     * @return {@code n}
     * @throws IllegalArgumentException when it is not positive
     */
    static int requirePositive(int n, String what) {
        return Checks.atLeast("The " + what, n, 1);
    }
}
