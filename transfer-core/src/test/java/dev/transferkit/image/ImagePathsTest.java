package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePathsTest {
    @TempDir
    Path dir;

    private Path touch(String relative) throws IOException {
        Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, "x");
    }

    @Test
    void foldersContributeTheirImagesSortedAndFilesAreKeptInArgumentOrder() throws IOException {
        Path b = touch("set/b/2.PNG");
        Path a1 = touch("set/a/1.jpg");
        Path a2 = touch("set/a/sub/3.webp");
        touch("set/a/notes.txt");
        touch("set/.hidden/4.png");
        touch("set/a/.5.png");
        Path single = touch("single.data");
        assertEquals(List.of(single, a1, a2, b), ImagePaths.expand(List.of(single, dir.resolve("set"))));
    }

    @Test
    void missingPathsEmptyFoldersAndNothingAreRefused() throws IOException {
        Path missing = dir.resolve("missing.jpg");
        TransferKitException e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of(missing)));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        touch("empty/readme.txt");
        e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of(dir.resolve("empty"))));
        assertTrue(e.getMessage().contains(dir.resolve("empty") + " holds no images"), e.getMessage());
        e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of()));
        assertTrue(e.getMessage().contains("No image files or folders"), e.getMessage());
    }
}
