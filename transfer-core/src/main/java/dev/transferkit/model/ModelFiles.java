package dev.transferkit.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Checks shared by the file-based model sources. */
final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * Checks that a model file exists and is a readable regular file.
     *
     * @param file the file
     * @param what what the file should be, e.g. {@code "DL4J model zip"}
     * @return the absolute file
     * @throws ModelLoadException naming the file when it is missing, a directory or unreadable
     */
    static Path requireFile(Path file, String what) {
        Objects.requireNonNull(file, "file");
        Path abs = file.toAbsolutePath();
        if (!Files.exists(abs)) {
            throw new ModelLoadException("The " + what + " " + abs + " does not exist.");
        }
        if (!Files.isRegularFile(abs)) {
            throw new ModelLoadException("The " + what + " " + abs + " is not a regular file (is it a directory?).");
        }
        if (!Files.isReadable(abs)) {
            throw new ModelLoadException("The " + what + " " + abs + " is not readable; check its permissions.");
        }
        return abs;
    }

    /**
     * Reads the first bytes of a file.
     *
     * @param file the file
     * @param offset where to start
     * @param n    how many bytes
     * @return the bytes read, fewer when the file is shorter
     * @throws IOException when reading fails
     */
    static byte[] readBytes(Path file, long offset, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(offset);
            return in.readNBytes(n);
        } catch (java.io.EOFException e) {
            return new byte[0];
        }
    }

    /**
     * Returns a file's name without its extension, as a default model name.
     *
     * @param file the file
     * @return e.g. {@code "model"} for {@code /tmp/model.zip}
     */
    static String baseName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
