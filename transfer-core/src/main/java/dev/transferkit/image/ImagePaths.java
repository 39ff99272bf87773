package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns image files and folders named by a user (on a command line, say) into a list of image files: a file is
 * taken as it is, a folder contributes every image below it (extensions jpg, jpeg, png, gif, bmp, webp in any case;
 * hidden files and folders skipped; sorted by path, so the order is the same on every machine).
 */
public final class ImagePaths {
    private ImagePaths() {
    }

    /**
     * Expands files and folders into image files, in argument order.
     *
     * @param filesOrFolders image files and folders of images
     * @return the image files
     * @throws TransferKitException when nothing was named, a path does not exist, or a folder holds no images
     */
    public static List<Path> expand(List<Path> filesOrFolders) {
        if (filesOrFolders.isEmpty()) {
            throw new TransferKitException("No image files or folders were given.");
        }
        List<Path> images = new ArrayList<>();
        for (Path p : filesOrFolders) {
            if (Files.isDirectory(p)) {
                List<Path> found = imagesIn(p);
                if (found.isEmpty()) {
                    throw new TransferKitException("The folder " + p + " holds no images (files ending in "
                            + String.join(", ", ImageFiles.EXTENSIONS.stream().sorted().toList()) + ").");
                }
                images.addAll(found);
            } else if (Files.isRegularFile(p)) {
                images.add(p);
            } else {
                throw new TransferKitException("The image or folder " + p + " does not exist.");
            }
        }
        return List.copyOf(images);
    }

    /** @return true when a name of the relative path, the file's own included, starts with a dot */
    private static boolean insideHiddenFolder(Path relative) {
        for (Path name : relative) {
            if (name.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> imagesIn(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> !insideHiddenFolder(dir.relativize(p)))
                    .filter(p -> ImageFiles.hasImageName(p) && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new TransferKitException("Could not list the images in the folder " + dir + ": " + e.getMessage(), e);
        }
    }
}
