package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFolderTest {
    @TempDir
    Path root;

    private void layout() throws IOException {
        TestImages.touch(root, "train/dog/b.png");
        TestImages.touch(root, "train/dog/a.PNG");
        TestImages.touch(root, "train/cat/z.jpg");
        TestImages.touch(root, "train/cat/sub/x.webp");
        TestImages.touch(root, "train/cat/.hidden.png");
        TestImages.touch(root, "train/cat/notes.txt");
        TestImages.touch(root, "train/cat/.thumbs/y.png");
        TestImages.touch(root, "train/loose.png");
        Files.createDirectories(root.resolve("train/empty"));
        TestImages.touch(root, "validation/cat/1.jpeg");
        TestImages.touch(root, "validation/cat/2.GIF");
        TestImages.touch(root, ".git/objects/o.png");
        // A link back to an ancestor folder: following it would loop forever.
        Files.createSymbolicLink(root.resolve("train/cat/sub/loop"), root.resolve("train/cat"));
    }

    @Test
    void listsImagesSortedByClassThenPath() throws IOException {
        layout();
        ImageFolder folder = ImageFolder.open(root);
        assertEquals(List.of("train", "validation"), folder.splits());
        assertEquals(List.of("cat", "dog", "empty"), folder.classes());
        assertEquals(List.of("cat"), folder.classes("validation"));
        assertEquals(List.of(
                new LabeledImage(root.resolve("train/cat/sub/x.webp"), "cat"),
                new LabeledImage(root.resolve("train/cat/z.jpg"), "cat"),
                new LabeledImage(root.resolve("train/dog/a.PNG"), "dog"),
                new LabeledImage(root.resolve("train/dog/b.png"), "dog")), folder.images("train"));
        assertEquals(List.of(
                new LabeledImage(root.resolve("validation/cat/1.jpeg"), "cat"),
                new LabeledImage(root.resolve("validation/cat/2.GIF"), "cat")), folder.images("validation"));
        assertEquals(Map.of("cat", 2, "dog", 2, "empty", 0), folder.counts("train"));
        assertEquals(folder.images("train"), ImageFolder.open(root).images("train"));
        assertTrue(folder.toString().contains("train: 4 images in 3 classes"), folder.toString());
    }

    @Test
    void reportsEmptyAndMissingClasses() throws IOException {
        layout();
        ImageFolder folder = ImageFolder.open(root);
        assertEquals(LabelEncoder.of("cat", "dog", "empty"), folder.labelEncoder());
        assertEquals(List.of(root.resolve("train/empty")), folder.emptyClasses());
        assertEquals(List.of("empty"), folder.missingClasses("train"));
        assertEquals(List.of("dog", "empty"), folder.missingClasses("validation"));
    }

    @Test
    void usesTheClassesOfAllSplitsWithoutATrainSplit() throws IOException {
        TestImages.touch(root, "a/x/1.png");
        TestImages.touch(root, "b/y/1.png");
        ImageFolder folder = ImageFolder.open(root);
        assertEquals(LabelEncoder.of("x", "y"), folder.labelEncoder());
        assertEquals(List.of("y"), folder.missingClasses("a"));
    }

    @Test
    void namesTheSplitsWhenAnUnknownSplitIsAskedFor() throws IOException {
        layout();
        ImageFolder folder = ImageFolder.open(root);
        TransferKitException e = assertThrows(TransferKitException.class, () -> folder.images("test"));
        assertEquals("The dataset " + root + " has no split 'test'; its splits are [train, validation].", e.getMessage());
    }

    @Test
    void rejectsFoldersThatAreNotDatasets() throws IOException {
        TransferKitException missing = assertThrows(TransferKitException.class, () -> ImageFolder.open(root.resolve("nope")));
        assertEquals("The dataset folder " + root.resolve("nope") + " does not exist.", missing.getMessage());
        Path file = TestImages.touch(root, "file.png");
        TransferKitException notDir = assertThrows(TransferKitException.class, () -> ImageFolder.open(file));
        assertTrue(notDir.getMessage().contains(file + " is a file, not a folder"), notDir.getMessage());
        Path empty = Files.createDirectories(root.resolve("empty-dataset"));
        TransferKitException noSplits = assertThrows(TransferKitException.class, () -> ImageFolder.open(empty));
        assertTrue(noSplits.getMessage().contains(empty + " has no split folders"), noSplits.getMessage());
        TestImages.touch(root, "flat/train/cat/1.png");
        Path trainFolder = root.resolve("flat/train");
        TransferKitException wrongLevel = assertThrows(TransferKitException.class, () -> ImageFolder.open(trainFolder));
        assertTrue(wrongLevel.getMessage().contains(trainFolder.resolve("cat") + " holds image files directly (1)"), wrongLevel.getMessage());
        assertTrue(wrongLevel.getMessage().contains("instead of the dataset root"), wrongLevel.getMessage());
    }
}
