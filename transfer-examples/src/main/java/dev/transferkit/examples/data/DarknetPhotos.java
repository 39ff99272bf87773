package dev.transferkit.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The test photos shipped in Debian's {@code darknet} package, {@code usr/share/darknet/data/*.jpg}: dog, eagle,
 * giraffe, horses, kite, person and scream (Munch's painting). They are handy for trying a classifier on real
 * photos. Debian's copyright file for the package puts its files under GPL-3.0+, MIT or WTFPL at your choice; the
 * photos themselves are treated as public domain by the darknet project.
 *
 * <p>The package is obtained without root through {@link DebianPackage} ({@code apt-get download} and
 * {@code dpkg-deb -x} into the TransferKit cache), or the photos are read from a directory given to
 * {@link #fromDirectory(Path)}.
 */
public final class DarknetPhotos {
    /** The Debian package holding the photos. */
    public static final String DEBIAN_PACKAGE = "darknet";
    /** Where the photos are inside the Debian package. */
    public static final String DEBIAN_PATH = "usr/share/darknet/data";
    /** The photo names (without {@code .jpg}) the Debian package ships. */
    public static final List<String> NAMES = List.of("dog", "eagle", "giraffe", "horses", "kite", "person", "scream");

    private final DebianPackage debianPackage;
    private final Path directory;

    private DarknetPhotos(DebianPackage debianPackage, Path directory) {
        this.debianPackage = debianPackage;
        this.directory = directory;
    }

    /**
     * Returns the photos of the Debian {@code darknet} package, obtained on first use.
     *
     * @return the photos
     */
    public static DarknetPhotos defaults() {
        return new DarknetPhotos(DebianPackage.of(DEBIAN_PACKAGE), null);
    }

    /**
     * Returns the photos in a directory, for example {@code /usr/share/darknet/data} after
     * {@code apt-get install darknet}, or a copy of it.
     *
     * @param directory a directory holding {@code dog.jpg} and the other photos
     * @return the photos
     */
    public static DarknetPhotos fromDirectory(Path directory) {
        return new DarknetPhotos(null, Objects.requireNonNull(directory, "directory"));
    }

    /**
     * Returns the directory holding the photos, obtaining the Debian package first if needed.
     *
     * @return the directory
     * @throws dev.transferkit.core.TransferKitException when the package cannot be obtained (the message says why
     *                                                   and what to run instead)
     */
    public Path directory() {
        return directory != null ? directory : debianPackage.obtain().resolve(DEBIAN_PATH);
    }

    /**
     * Returns every {@code .jpg} file in the directory, sorted by name, each checked to start like a JPEG file.
     *
     * @return the photo files
     * @throws DatasetException when the directory is missing, holds no photos, or a file is not a JPEG
     */
    public List<Path> photos() {
        Path dir = directory();
        if (!Files.isDirectory(dir)) {
            throw new DatasetException("The darknet photo directory " + dir + " does not exist.");
        }
        List<Path> photos = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpg"))
                    .filter(Files::isRegularFile).sorted().forEach(photos::add);
        } catch (IOException e) {
            throw new DatasetException("Could not list the darknet photos in " + dir + ": " + e, e);
        }
        if (photos.isEmpty()) {
            throw new DatasetException("The directory " + dir + " holds no .jpg photos; expected " + NAMES
                    + " from the Debian package '" + DEBIAN_PACKAGE + "'.");
        }
        for (Path p : photos) {
            checkJpeg(p);
        }
        return List.copyOf(photos);
    }

    /**
     * Returns one photo by name.
     *
     * @param name a photo name such as {@code dog} (with or without {@code .jpg})
     * @return the photo file
     * @throws DatasetException when there is no such photo; the message lists the available ones
     */
    public Path photo(String name) {
        String file = name.endsWith(".jpg") ? name : name + ".jpg";
        List<Path> photos = photos();
        return photos.stream().filter(p -> p.getFileName().toString().equals(file)).findFirst()
                .orElseThrow(() -> new DatasetException("There is no photo '" + file + "' in " + directory()
                        + "; it has " + photos.stream().map(p -> p.getFileName().toString()).toList() + "."));
    }

    private static void checkJpeg(Path p) {
        byte[] head;
        try (InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(3);
        } catch (IOException e) {
            throw new DatasetException("Could not read the photo " + p + ": " + e, e);
        }
        if (head.length < 3 || (head[0] & 0xff) != 0xff || (head[1] & 0xff) != 0xd8 || (head[2] & 0xff) != 0xff) {
            throw new DatasetException("The file " + p + " is not a JPEG image (it does not start with the JPEG"
                    + " marker FF D8 FF).");
        }
    }

    @Override
    public String toString() {
        return "DarknetPhotos(" + (directory != null ? directory : debianPackage + ":" + DEBIAN_PATH) + ")";
    }
}
