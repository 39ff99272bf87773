package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePathsTest {
    @TempDir
    Path dir;

    @Test
    void foldersContributeTheirImagesSortedAndFilesAreKeptInArgumentOrder() throws IOException {
        Path b = TestImages.touch(dir, "set/b/2.PNG");
        Path a1 = TestImages.touch(dir, "set/a/1.jpg");
        Path a2 = TestImages.touch(dir, "set/a/sub/3.webp");
        TestImages.touch(dir, "set/a/notes.txt");
        TestImages.touch(dir, "set/.hidden/4.png");
        TestImages.touch(dir, "set/a/.5.png");
        Path single = TestImages.touch(dir, "single.data");
        assertEquals(List.of(single, a1, a2, b), ImagePaths.expand(List.of(single, dir.resolve("set"))));
    }

    @Test
    void missingPathsEmptyFoldersAndNothingAreRefused() throws IOException {
        Path missing = dir.resolve("missing.jpg");
        TransferKitException e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of(missing)));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        TestImages.touch(dir, "empty/readme.txt");
        e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of(dir.resolve("empty"))));
        assertTrue(e.getMessage().contains(dir.resolve("empty") + " holds no images"), e.getMessage());
        e = assertThrows(TransferKitException.class, () -> ImagePaths.expand(List.of()));
        assertTrue(e.getMessage().contains("No image files or folders"), e.getMessage());
    }
}
