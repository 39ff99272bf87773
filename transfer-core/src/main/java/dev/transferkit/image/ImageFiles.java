package dev.transferkit.image;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** Which files count as images when folders are scanned: by extension, hidden files excluded. */
final class ImageFiles {
    /** Recognised image extensions, lower case. */
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp", "webp");

    private ImageFiles() {
    }

    /** @return true for a non-hidden file name with an image extension (any case) */
    static boolean hasImageName(Path file) {
        return !isHidden(file) && hasImageExtension(file.getFileName().toString());
    }

    /** @return true when the name ends with a dot and an image extension (any case) */
    static boolean hasImageExtension(String name) {
        int dot = name.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** @return true when the file name starts with a dot */
    static boolean isHidden(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().startsWith(".");
    }
}
