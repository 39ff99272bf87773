package dev.transferkit.io;

import dev.transferkit.core.AtomicFiles;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Extracts {@code .tar.gz}/{@code .tgz} and {@code .zip} archives without letting an entry escape the target
 * directory.
 *
 * <p>Every entry is checked before anything is written: names with a {@code ..} segment or an absolute path,
 * symbolic or hard links that point outside the target, and device files or FIFOs are rejected with an
 * {@link ArchiveException} that names the archive and the entry; the whole archive is then refused. Nothing is
 * ever written through a symbolic link, and every extracted link is checked once more against the real file
 * system before the result is published. The archive goes into a hidden temporary directory beside the target
 * that is renamed into place only when extraction has finished, so a half-extracted directory never looks
 * complete. The format is recognised by the file's first bytes, not its name.
 */
public final class SafeArchives {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    private SafeArchives() {
    }

    /**
     * Extracts every entry of an archive.
     *
     * @param archive a gzip-compressed tar or a zip file
     * @param target  the directory to create; it must not exist or be an empty directory
     * @return the number of regular files extracted
     * @throws ArchiveException when the archive is unreadable, truncated or unsafe, or the target is not empty
     */
    public static int extract(Path archive, Path target) {
        return extract(archive, target, name -> true);
    }

    /**
     * Extracts the entries of an archive whose names match a filter. All entries are still checked for safety.
     *
     * @param archive a gzip-compressed tar or a zip file
     * @param target  the directory to create; it must not exist or be an empty directory
     * @param filter  tested with each entry's normalised relative name ({@code /}-separated, no leading
     *                {@code ./}, directories without a trailing slash); only matching entries are written
     * @return the number of regular files extracted
     * @throws ArchiveException when the archive is unreadable, truncated or unsafe, or the target is not empty
     */
    public static int extract(Path archive, Path target, Predicate<String> filter) {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(filter, "filter");
        if (!Files.isRegularFile(archive)) {
            throw new ArchiveException("The archive " + archive + " does not exist or is not a regular file.");
        }
        Path dest = target.toAbsolutePath().normalize();
        checkTarget(archive, dest);
        Path tmp = null;
        try {
            Files.createDirectories(dest.getParent());
            tmp = Files.createTempDirectory(dest.getParent(), "." + dest.getFileName() + ".");
            Extraction extraction = new Extraction(archive, tmp.toRealPath(), filter);
            if (isGzip(archive)) {
                extraction.readTarGz();
            } else if (isZip(archive)) {
                extraction.readZip();
            } else {
                throw new ArchiveException("The file " + archive
                        + " is neither a gzip-compressed tar (.tar.gz, .tgz) nor a zip archive.");
            }
            extraction.verifyLinks();
            AtomicFiles.move(tmp, dest);
            return extraction.files;
        } catch (IOException e) {
            throw new ArchiveException("Could not extract the archive " + archive + " into " + dest + ": " + e, e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    private static void checkTarget(Path archive, Path dest) {
        if (!Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        boolean empty = false;
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dest)) {
                empty = !children.iterator().hasNext();
            } catch (IOException e) {
                empty = false;
            }
        }
        if (!empty) {
            throw new ArchiveException("Cannot extract " + archive + " into " + dest
                    + ": the target exists and is not an empty directory; choose a new directory or delete it first.");
        }
    }

    private static boolean isGzip(Path file) throws IOException {
        byte[] head = head(file, 2);
        return head.length == 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B;
    }

    private static boolean isZip(Path file) throws IOException {
        byte[] head = head(file, 4);
        return head.length == 4 && head[0] == 'P' && head[1] == 'K'
                && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    }

    private static byte[] head(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.deleteRecursively(dir);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(SafeArchives.class)
                    .warn("Could not remove the temporary directory {}: {}", dir, e.toString());
        }
    }

    /** What an archive entry is. */
    private enum Kind { FILE, DIRECTORY, SYMLINK, HARDLINK, SPECIAL }

    /** The state of one extraction into a temporary root. */
    private static final class Extraction {
        private final Path archive;
        private final Path root;
        private final Predicate<String> filter;
        private final List<Path> links = new ArrayList<>();
        private int files;

        Extraction(Path archive, Path root, Predicate<String> filter) {
            this.archive = archive;
            this.root = root;
            this.filter = filter;
        }

        void readTarGz() throws IOException {
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                 GzipCompressorInputStream gz = new GzipCompressorInputStream(raw, true);
                 TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
                TarArchiveEntry entry;
                while ((entry = nextTarEntry(tar)) != null) {
                    Kind kind = entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO() ? Kind.SPECIAL
                            : entry.isSymbolicLink() ? Kind.SYMLINK
                            : entry.isLink() ? Kind.HARDLINK
                            : entry.isDirectory() ? Kind.DIRECTORY
                            : entry.isFile() ? Kind.FILE
                            : Kind.SPECIAL;
                    add(entry.getName(), kind, entry.getLinkName(), tar);
                }
            }
        }

        private TarArchiveEntry nextTarEntry(TarArchiveInputStream tar) {
            try {
                return tar.getNextEntry();
            } catch (IOException e) {
                throw damaged(null, e);
            }
        }

        void readZip() throws IOException {
            ZipFile zip;
            try {
                zip = ZipFile.builder().setPath(archive).get();
            } catch (IOException e) {
                throw damaged(null, e);
            }
            try (zip) {
                for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
                    int type = entry.getUnixMode() & S_IFMT;
                    Kind kind = entry.isUnixSymlink() ? Kind.SYMLINK
                            : entry.isDirectory() || type == S_IFDIR ? Kind.DIRECTORY
                            : type == 0 || type == S_IFREG ? Kind.FILE
                            : Kind.SPECIAL;
                    String linkTarget = null;
                    if (kind == Kind.SYMLINK) {
                        try {
                            linkTarget = zip.getUnixSymlink(entry);
                        } catch (IOException e) {
                            throw damaged(entry.getName(), e);
                        }
                    }
                    InputStream in;
                    try {
                        in = zip.getInputStream(entry);
                    } catch (IOException e) {
                        throw damaged(entry.getName(), e);
                    }
                    try (InputStream content = in) {
                        add(entry.getName(), kind, linkTarget, content);
                    }
                }
            }
        }

        private void add(String rawName, Kind kind, String linkTarget, InputStream content) throws IOException {
            List<String> segments = entrySegments(rawName);
            if (kind == Kind.SPECIAL) {
                throw unsafe(rawName, "is a device file, FIFO or other special file");
            }
            List<String> hardLinkSource = null;
            if (kind == Kind.SYMLINK) {
                checkSymlinkTarget(rawName, segments, linkTarget);
            } else if (kind == Kind.HARDLINK) {
                hardLinkSource = linkSegments(rawName, linkTarget);
            }
            if (segments.isEmpty()) {
                return;
            }
            String name = String.join("/", segments);
            if (!filter.test(name)) {
                return;
            }
            Path out = root.resolve(name);
            createParents(rawName, segments);
            switch (kind) {
                case DIRECTORY -> {
                    refuseSymlink(rawName, out);
                    Files.createDirectories(out);
                }
                case FILE -> {
                    refuseSymlink(rawName, out);
                    copy(rawName, content, out);
                    files++;
                }
                case SYMLINK -> {
                    Files.deleteIfExists(out);
                    Files.createSymbolicLink(out, Paths.get(linkTarget));
                    links.add(out);
                }
                case HARDLINK -> {
                    Path source = root.resolve(String.join("/", hardLinkSource));
                    if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ArchiveException("The hard link '" + rawName + "' in the archive " + archive
                                + " refers to '" + linkTarget + "', which is not a regular file extracted before it.");
                    }
                    refuseSymlink(rawName, out);
                    Files.copy(source, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    files++;
                }
                default -> throw new IllegalStateException("unreachable: " + kind);
            }
        }

        /** Splits an entry name into safe segments, rejecting absolute names and {@code ..}. */
        private List<String> entrySegments(String rawName) {
            String name = rawName.replace('\\', '/');
            if (isAbsolute(name)) {
                throw unsafe(rawName, "has an absolute path");
            }
            List<String> segments = new ArrayList<>();
            for (String s : name.split("/")) {
                if (s.equals("..")) {
                    throw unsafe(rawName, "contains a '..' path segment");
                }
                if (!s.isEmpty() && !s.equals(".")) {
                    segments.add(s);
                }
            }
            return segments;
        }

        /** Resolves a hard link target, which tar stores relative to the archive root. */
        private List<String> linkSegments(String rawName, String linkTarget) {
            List<String> resolved = resolveLexically(new ArrayDeque<>(), relativeLinkTarget(rawName, linkTarget));
            if (resolved == null) {
                throw unsafe(rawName, "is a link to '" + linkTarget + "', outside the target directory");
            }
            return resolved;
        }

        /** Checks that a symbolic link, resolved relative to its own directory, stays inside the root. */
        private void checkSymlinkTarget(String rawName, List<String> segments, String linkTarget) {
            Deque<String> dir = new ArrayDeque<>(segments.subList(0, Math.max(0, segments.size() - 1)));
            if (resolveLexically(dir, relativeLinkTarget(rawName, linkTarget)) == null) {
                throw unsafe(rawName, "is a link to '" + linkTarget + "', outside the target directory");
            }
        }

        /** @return the link target with {@code /} separators, after rejecting empty and absolute targets */
        private String relativeLinkTarget(String rawName, String linkTarget) {
            if (linkTarget == null || linkTarget.isEmpty()) {
                throw unsafe(rawName, "is a link without a target");
            }
            String t = linkTarget.replace('\\', '/');
            if (isAbsolute(t)) {
                throw unsafe(rawName, "is a link to the absolute path '" + linkTarget + "'");
            }
            return t;
        }

        private static boolean isAbsolute(String path) {
            return path.startsWith("/") || path.matches("^[A-Za-z]:.*");
        }

        /** @return the segments of {@code path} applied to {@code start}, or null when it climbs above the root */
        private static List<String> resolveLexically(Deque<String> start, String path) {
            Deque<String> stack = new ArrayDeque<>(start);
            for (String s : path.split("/")) {
                if (s.isEmpty() || s.equals(".")) {
                    continue;
                }
                if (s.equals("..")) {
                    if (stack.isEmpty()) {
                        return null;
                    }
                    stack.removeLast();
                } else {
                    stack.addLast(s);
                }
            }
            return new ArrayList<>(stack);
        }

        /** Creates the parent directories of an entry, refusing to pass through a symbolic link. */
        private void createParents(String rawName, List<String> segments) throws IOException {
            Path dir = root;
            for (String s : segments.subList(0, segments.size() - 1)) {
                dir = dir.resolve(s);
                refuseSymlink(rawName, dir);
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(dir);
                }
            }
        }

        private void refuseSymlink(String rawName, Path path) {
            if (Files.isSymbolicLink(path)) {
                throw unsafe(rawName, "would be written through the symbolic link '" + root.relativize(path) + "'");
            }
        }

        private void copy(String rawName, InputStream in, Path out) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            try (OutputStream os = Files.newOutputStream(out)) {
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        throw damaged(rawName, e);
                    }
                    if (n < 0) {
                        break;
                    }
                    os.write(buffer, 0, n);
                }
            }
        }

        /** Checks every extracted symbolic link against the real file system. */
        void verifyLinks() throws IOException {
            for (Path link : links) {
                Path location = realLocation(link.getParent().resolve(Files.readSymbolicLink(link)), 0);
                if (!location.startsWith(root)) {
                    throw unsafe(root.relativize(link).toString(), "is a link that resolves, through other links, to "
                            + location + ", outside the target directory");
                }
            }
        }

        private Path realLocation(Path p, int depth) throws IOException {
            if (depth > 64) {
                throw unsafe(p.toString(), "is part of a symbolic link chain that is too long or circular");
            }
            if (Files.exists(p)) {
                return p.toRealPath();
            }
            Path parent = p.getParent();
            if (parent == null) {
                return p.normalize();
            }
            return realLocation(parent, depth + 1).resolve(p.getFileName()).normalize();
        }

        private ArchiveException unsafe(String entry, String problem) {
            return new ArchiveException("Refusing to extract the archive " + archive + ": its entry '" + entry + "' "
                    + problem + ".");
        }

        private ArchiveException damaged(String entry, IOException cause) {
            String what = cause instanceof EOFException || String.valueOf(cause.getMessage()).toLowerCase().contains("truncated")
                    ? "is truncated" : "is corrupt";
            return new ArchiveException("The archive " + archive + " " + what
                    + (entry == null ? "" : " (while reading the entry '" + entry + "')") + ": " + cause.getMessage()
                    + ". Obtain the file again.", cause);
        }
    }
}
