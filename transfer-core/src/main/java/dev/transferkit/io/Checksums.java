package dev.transferkit.io;

import dev.transferkit.core.TransferKitIOException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.Adler32;

/**
 * Streaming checksums of files: Adler-32 (what the DL4J model zoo publishes, as a decimal number), SHA-256 and
 * SHA-512 (as lower-case hex). Files are read in 1 MiB blocks, so size does not matter.
 */
public final class Checksums {
    private static final int BUFFER = 1 << 20;

    /** A checksum algorithm and how its value is written. */
    public enum Algorithm {
        /** Adler-32, written as an unsigned decimal number (DL4J's {@code ZooModel.pretrainedChecksum}). */
        ADLER32,
        /** SHA-256, written as 64 lower-case hex digits. */
        SHA256,
        /** SHA-512, written as 128 lower-case hex digits. */
        SHA512;

        /** @return the lower-case name used in text, e.g. {@code "sha256"} */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private Checksums() {
    }

    /**
     * Computes a checksum of a file.
     *
     * @param file      the file to read
     * @param algorithm the algorithm
     * @return the value in the algorithm's text form (decimal for Adler-32, lower-case hex otherwise)
     * @throws dev.transferkit.core.TransferKitIOException when the file cannot be read
     */
    public static String compute(Path file, Algorithm algorithm) {
        return switch (algorithm) {
            case ADLER32 -> Long.toString(adler32(file));
            case SHA256 -> digest(file, "SHA-256");
            case SHA512 -> digest(file, "SHA-512");
        };
    }

    /**
     * Computes the Adler-32 checksum of a file.
     *
     * @param file the file to read
     * @return the unsigned 32-bit checksum
     * @throws dev.transferkit.core.TransferKitIOException when the file cannot be read
     */
    public static long adler32(Path file) {
        Adler32 adler = new Adler32();
        read(file, adler::update);
        return adler.getValue();
    }

    /**
     * Computes the SHA-256 digest of a file.
     *
     * @param file the file to read
     * @return 64 lower-case hex digits
     * @throws dev.transferkit.core.TransferKitIOException when the file cannot be read
     */
    public static String sha256(Path file) {
        return digest(file, "SHA-256");
    }

    /**
     * Computes the SHA-512 digest of a file.
     *
     * @param file the file to read
     * @return 128 lower-case hex digits
     * @throws dev.transferkit.core.TransferKitIOException when the file cannot be read
     */
    public static String sha512(Path file) {
        return digest(file, "SHA-512");
    }

    private static String digest(Path file, String algorithm) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This Java runtime has no " + algorithm + " implementation.", e);
        }
        read(file, md::update);
        return HexFormat.of().formatHex(md.digest());
    }

    @FunctionalInterface
    private interface Sink {
        void update(byte[] buffer, int offset, int length);
    }

    private static void read(Path file, Sink sink) {
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                sink.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not read " + file + " to compute its checksum: " + e.getMessage(), e);
        }
    }
}
