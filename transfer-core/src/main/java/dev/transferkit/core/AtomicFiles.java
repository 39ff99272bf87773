package dev.transferkit.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files so that they are either complete or absent: the content goes to a hidden temporary file in the
 * same directory, which is synced and then renamed over the target in one step.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Produces the content of a file. */
    @FunctionalInterface
    public interface Content {
        /**
         * @param out the stream to write to; do not close it
         * @throws IOException when writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes a file atomically. On failure the target is untouched and the temporary file is removed.
     *
     * @param target  the file to create or replace
     * @param content what to write
     * @throws IOException when writing or renaming fails
     */
    public static void write(Path target, Content content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = createPartFile(target);
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                content.writeTo(out);
                out.flush();
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Creates the hidden temporary file that will become {@code target}: {@code .NAME.RANDOM.part} in the target's
     * directory, with the permissions any new file gets there (the user's umask applies), unlike
     * {@link Files#createTempFile}, which makes files only their owner can read and would leave the result unreadable
     * to the rest of a shared file system or cluster.
     *
     * @param target the file the temporary file will be renamed to
     * @return the new, empty temporary file
     * @throws IOException when it cannot be created
     */
    public static Path createPartFile(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(random.nextLong(), 36) + ".part");
            try {
                return Files.createFile(tmp);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Renames a finished temporary file over its target, atomically where the file system allows it.
     *
     * @param source the finished file
     * @param target its final name
     * @throws IOException when the rename fails
     */
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
