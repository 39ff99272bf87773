package dev.transferkit.core;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {
    @Test
    void writtenFilesGetThePermissionsOfAnyNewFileThereNotOwnerOnly(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path reference = Files.createFile(dir.resolve("reference"));
        Path target = dir.resolve("out.bin");
        AtomicFiles.write(target, out -> out.write("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
        assertEquals("hello", Files.readString(target));
    }

    @Test
    void aFailedWriteLeavesNeitherTargetNorTemporaryFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("out.bin");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        try (var files = Files.list(dir)) {
            assertTrue(files.findAny().isEmpty(), "the directory should be empty");
        }
    }
}
