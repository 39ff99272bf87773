package dev.transferkit.io;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * An expected checksum: an algorithm and the value a file must have, e.g. {@code adler32:3501732770} or
 * {@code sha256:9f86d0...}. Immutable; compares by value.
 */
public final class Checksum {
    private final Checksums.Algorithm algorithm;
    private final String value;

    private Checksum(Checksums.Algorithm algorithm, String value) {
        this.algorithm = algorithm;
        this.value = value;
    }

    /**
     * Creates an expected Adler-32 checksum, as the DL4J zoo publishes it.
     *
     * @param value the unsigned 32-bit checksum
     * @return the expected checksum
     * @throws IllegalArgumentException when the value is outside 0..2^32-1
     */
    public static Checksum adler32(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("An Adler-32 checksum is an unsigned 32-bit number, but got " + value + ".");
        }
        return new Checksum(Checksums.Algorithm.ADLER32, Long.toString(value));
    }

    /**
     * Creates an expected SHA-256 digest.
     *
     * @param hex 64 hex digits, either case
     * @return the expected checksum
     * @throws IllegalArgumentException when the value is not 64 hex digits
     */
    public static Checksum sha256(String hex) {
        return new Checksum(Checksums.Algorithm.SHA256, hex(hex, 64, "SHA-256"));
    }

    /**
     * Creates an expected SHA-512 digest.
     *
     * @param hex 128 hex digits, either case
     * @return the expected checksum
     * @throws IllegalArgumentException when the value is not 128 hex digits
     */
    public static Checksum sha512(String hex) {
        return new Checksum(Checksums.Algorithm.SHA512, hex(hex, 128, "SHA-512"));
    }

    /**
     * Parses the text form written by {@link #toString()}, e.g. {@code "sha256:9f86..."}.
     *
     * @param text {@code algorithm:value}
     * @return the expected checksum
     * @throws IllegalArgumentException when the text is malformed or names an unknown algorithm
     */
    public static Checksum parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("A checksum is written as algorithm:value (adler32, sha256 or sha512), but got '"
                    + text + "'.");
        }
        String algorithm = text.substring(0, colon).toLowerCase(Locale.ROOT);
        String value = text.substring(colon + 1);
        return switch (algorithm) {
            case "adler32" -> {
                try {
                    yield adler32(Long.parseLong(value));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("An Adler-32 checksum is a decimal number, but got '" + value + "'.", e);
                }
            }
            case "sha256" -> sha256(value);
            case "sha512" -> sha512(value);
            default -> throw new IllegalArgumentException("Unknown checksum algorithm '" + algorithm
                    + "' in '" + text + "'; use adler32, sha256 or sha512.");
        };
    }

    private static String hex(String hex, int digits, String name) {
        if (hex == null || hex.length() != digits || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("A " + name + " digest is " + digits + " hex digits, but got '" + hex + "'.");
        }
        return hex.toLowerCase(Locale.ROOT);
    }

    /** @return the algorithm */
    public Checksums.Algorithm algorithm() {
        return algorithm;
    }

    /** @return the expected value in the algorithm's text form (decimal for Adler-32, lower-case hex otherwise) */
    public String value() {
        return value;
    }

    /**
     * Computes this checksum's algorithm over a file.
     *
     * @param file the file to read
     * @return the file's actual value, comparable with {@link #value()}
     */
    public String computeFor(Path file) {
        return Checksums.compute(file, algorithm);
    }

    /**
     * Checks a file against this checksum.
     *
     * @param file the file to read
     * @return whether the file has the expected value
     */
    public boolean matches(Path file) {
        return value.equals(computeFor(file));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checksum c && algorithm == c.algorithm && value.equals(c.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(algorithm, value);
    }

    /** @return {@code algorithm:value}, e.g. {@code adler32:3501732770} */
    @Override
    public String toString() {
        return algorithm.label() + ":" + value;
    }
}
