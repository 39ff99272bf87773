package dev.transferkit.examples.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DarknetPhotosTest {
    @TempDir
    Path tmp;

    private Path jpeg(String name) throws IOException {
        Path file = tmp.resolve(name);
        ImageIO.write(new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB), "jpg", file.toFile());
        return file;
    }

    @Test
    void listsTheJpegsSorted() throws IOException {
        Path horses = jpeg("horses.jpg");
        Path dog = jpeg("dog.jpg");
        Files.writeString(tmp.resolve("coco.names"), "person\n");
        DarknetPhotos photos = DarknetPhotos.fromDirectory(tmp);
        assertEquals(List.of(dog, horses), photos.photos());
        assertEquals(dog, photos.photo("dog"));
        assertEquals(horses, photos.photo("horses.jpg"));
        DatasetException e = assertThrows(DatasetException.class, () -> photos.photo("cat"));
        assertTrue(e.getMessage().contains("'cat.jpg'") && e.getMessage().contains("[dog.jpg, horses.jpg]"), e.getMessage());
    }

    @Test
    void rejectsEmptyDirectoriesAndFilesThatAreNotJpegs() throws IOException {
        DatasetException none = assertThrows(DatasetException.class, () -> DarknetPhotos.fromDirectory(tmp).photos());
        assertTrue(none.getMessage().contains(tmp.toString()) && none.getMessage().contains("no .jpg photos"),
                none.getMessage());
        jpeg("dog.jpg");
        Path fake = tmp.resolve("kite.jpg");
        Files.writeString(fake, "not a photo");
        DatasetException bad = assertThrows(DatasetException.class, () -> DarknetPhotos.fromDirectory(tmp).photos());
        assertTrue(bad.getMessage().contains(fake.toString()) && bad.getMessage().contains("not a JPEG"), bad.getMessage());
        Path absent = tmp.resolve("absent");
        DatasetException missing = assertThrows(DatasetException.class, () -> DarknetPhotos.fromDirectory(absent).photos());
        assertTrue(missing.getMessage().contains(absent.toString()), missing.getMessage());
    }
}
