package dev.transferkit.io;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeArchivesTest {
    @TempDir
    Path dir;

    /** One entry to write into a test archive. */
    private record Entry(String name, byte type, String link, byte[] content) {
        static Entry file(String name, String content) {
            return new Entry(name, TarConstants.LF_NORMAL, null, content.getBytes(StandardCharsets.UTF_8));
        }

        static Entry dir(String name) {
            return new Entry(name, TarConstants.LF_DIR, null, new byte[0]);
        }

        static Entry symlink(String name, String target) {
            return new Entry(name, TarConstants.LF_SYMLINK, target, new byte[0]);
        }

        static Entry hardlink(String name, String target) {
            return new Entry(name, TarConstants.LF_LINK, target, new byte[0]);
        }
    }

    private Path tarGz(String fileName, Entry... entries) throws IOException {
        Path file = dir.resolve(fileName);
        try (OutputStream os = Files.newOutputStream(file);
             GzipCompressorOutputStream gz = new GzipCompressorOutputStream(os);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry te = new TarArchiveEntry(e.name(), e.type(), true);
                if (e.link() != null) {
                    te.setLinkName(e.link());
                }
                te.setSize(e.type() == TarConstants.LF_NORMAL ? e.content().length : 0);
                tar.putArchiveEntry(te);
                if (e.type() == TarConstants.LF_NORMAL) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        }
        return file;
    }

    private Path zip(String fileName, Entry... entries) throws IOException {
        Path file = dir.resolve(fileName);
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
            for (Entry e : entries) {
                ZipArchiveEntry ze = new ZipArchiveEntry(e.name());
                byte[] content = e.content();
                if (e.type() == TarConstants.LF_SYMLINK) {
                    ze.setUnixMode(0120777);
                    content = e.link().getBytes(StandardCharsets.UTF_8);
                } else if (e.type() == TarConstants.LF_CHR) {
                    ze.setUnixMode(0020644);
                } else if (e.type() == TarConstants.LF_NORMAL) {
                    ze.setUnixMode(0100644);
                }
                zip.putArchiveEntry(ze);
                zip.write(content);
                zip.closeArchiveEntry();
            }
        }
        return file;
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    /** Lists what is in the test directory besides the archives, to prove nothing was left behind. */
    private List<String> leftovers() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".tgz") && !n.endsWith(".zip") && !n.endsWith(".bin"))
                    .forEach(names::add);
        }
        return names;
    }

    @Test
    void extractsTarGzWithNestedDirectoriesAndInsideLinks() throws IOException {
        Path archive = tarGz("ok.tgz",
                Entry.dir("package/"),
                Entry.file("package/a.txt", "alpha"),
                Entry.file("./package/sub/deep/b.txt", "beta"),
                Entry.symlink("package/sub/link.txt", "../a.txt"),
                Entry.hardlink("package/copy.txt", "package/a.txt"));
        Path target = dir.resolve("out");
        int files = SafeArchives.extract(archive, target);
        assertEquals(3, files);
        assertEquals("alpha", read(target.resolve("package/a.txt")));
        assertEquals("beta", read(target.resolve("package/sub/deep/b.txt")));
        assertEquals("alpha", read(target.resolve("package/sub/link.txt")));
        assertTrue(Files.isSymbolicLink(target.resolve("package/sub/link.txt")));
        assertEquals("alpha", read(target.resolve("package/copy.txt")));
        assertEquals(List.of("out"), leftovers());
    }

    @Test
    void extractsOnlyEntriesMatchingTheFilter() throws IOException {
        Path archive = tarGz("ok.tgz",
                Entry.file("package/dist/models/a/model.min.js", "m"),
                Entry.file("package/dist/models/b/model.min.js", "other"),
                Entry.file("package/README.md", "readme"));
        Path target = dir.resolve("out");
        int files = SafeArchives.extract(archive, target, n -> n.startsWith("package/dist/models/a/"));
        assertEquals(1, files);
        assertEquals("m", read(target.resolve("package/dist/models/a/model.min.js")));
        assertFalse(Files.exists(target.resolve("package/dist/models/b")));
        assertFalse(Files.exists(target.resolve("package/README.md")));
    }

    @Test
    void extractsZip() throws IOException {
        Path archive = zip("ok.zip", Entry.dir("d/"), Entry.file("d/x.bin", "xyz"), Entry.file("top.txt", "t"));
        Path target = dir.resolve("out");
        assertEquals(2, SafeArchives.extract(archive, target));
        assertArrayEquals("xyz".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target.resolve("d/x.bin")));
        assertEquals("t", read(target.resolve("top.txt")));
    }

    @Test
    void extractsIntoAnExistingEmptyDirectory() throws IOException {
        Path archive = tarGz("ok.tgz", Entry.file("a.txt", "alpha"));
        Path target = Files.createDirectory(dir.resolve("out"));
        SafeArchives.extract(archive, target);
        assertEquals("alpha", read(target.resolve("a.txt")));
    }

    private void assertRefused(Path archive, String entry, String problem) throws IOException {
        Path target = dir.resolve("out");
        ArchiveException e = assertThrows(ArchiveException.class, () -> SafeArchives.extract(archive, target));
        assertTrue(e.getMessage().contains(archive.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'" + entry + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertFalse(Files.exists(target), "nothing may appear at the target");
        assertFalse(Files.exists(dir.getParent().resolve("evil.txt")), "nothing may be written outside");
        assertEquals(List.of(), leftovers(), "the temporary directory must be removed");
    }

    @Test
    void refusesDotDotInTar() throws IOException {
        assertRefused(tarGz("dotdot.tgz", Entry.file("ok.txt", "fine"), Entry.file("../evil.txt", "x")),
                "../evil.txt", "'..'");
    }

    @Test
    void refusesDotDotInZip() throws IOException {
        assertRefused(zip("dotdot.zip", Entry.file("a/../../evil.txt", "x")), "a/../../evil.txt", "'..'");
    }

    @Test
    void refusesAbsolutePaths() throws IOException {
        assertRefused(tarGz("abs.tgz", Entry.file("/tmp/evil.txt", "x")), "/tmp/evil.txt", "absolute path");
        assertRefused(zip("abs.zip", Entry.file("C:/evil.txt", "x")), "C:/evil.txt", "absolute path");
    }

    @Test
    void refusesSymlinksPointingOutside() throws IOException {
        assertRefused(tarGz("up.tgz", Entry.symlink("a/link", "../../evil.txt")), "a/link", "outside the target");
        assertRefused(tarGz("root.tgz", Entry.symlink("link", "/etc/passwd")), "link", "absolute path");
        assertRefused(zip("up.zip", Entry.symlink("link", "../evil.txt")), "link", "outside the target");
    }

    @Test
    void refusesSymlinkChainsThatEscapeThroughOtherLinks() throws IOException {
        // Each link is inside on its own; following a/b/c first makes y point above the target.
        assertRefused(tarGz("chain.tgz",
                        Entry.symlink("a/b/c", "../.."),
                        Entry.symlink("y", "a/b/c/..")),
                "y", "outside the target");
    }

    @Test
    void refusesWritingThroughASymlink() throws IOException {
        assertRefused(tarGz("through.tgz",
                        Entry.dir("real/"),
                        Entry.symlink("alias", "real"),
                        Entry.file("alias/x.txt", "x")),
                "alias/x.txt", "symbolic link");
    }

    @Test
    void refusesHardLinksPointingOutside() throws IOException {
        assertRefused(tarGz("hard.tgz", Entry.hardlink("h", "../evil.txt")), "h", "outside the target");
        assertRefused(tarGz("hardabs.tgz", Entry.hardlink("h", "/etc/passwd")), "h", "absolute path");
    }

    @Test
    void refusesDeviceFiles() throws IOException {
        assertRefused(tarGz("dev.tgz", new Entry("dev/null", TarConstants.LF_CHR, null, new byte[0])),
                "dev/null", "device file");
        assertRefused(tarGz("fifo.tgz", new Entry("pipe", TarConstants.LF_FIFO, null, new byte[0])),
                "pipe", "device file");
        assertRefused(zip("dev.zip", new Entry("dev/null", TarConstants.LF_CHR, null, new byte[0])),
                "dev/null", "device file");
    }

    @Test
    void refusesTheWholeArchiveEvenWhenTheBadEntryIsFilteredOut() throws IOException {
        Path archive = tarGz("mixed.tgz", Entry.file("good/a.txt", "a"), Entry.file("../evil.txt", "x"));
        Path target = dir.resolve("out");
        ArchiveException e = assertThrows(ArchiveException.class,
                () -> SafeArchives.extract(archive, target, n -> n.startsWith("good/")));
        assertTrue(e.getMessage().contains("'../evil.txt'"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void reportsTruncatedTarGz() throws IOException {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 20000; i++) {
            big.append(i).append(',');
        }
        Path full = tarGz("full.tgz", Entry.file("a.txt", "alpha"), Entry.file("big.txt", big.toString()));
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.tgz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Path target = dir.resolve("out");
        ArchiveException e = assertThrows(ArchiveException.class, () -> SafeArchives.extract(cut, target));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(Files.exists(target), "a half-extracted directory must not appear");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void reportsTruncatedZip() throws IOException {
        Path full = zip("full.zip", Entry.file("a.txt", "alpha".repeat(1000)), Entry.file("b.txt", "beta"));
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.zip"), java.util.Arrays.copyOf(bytes, bytes.length - 30));
        Path target = dir.resolve("out");
        ArchiveException e = assertThrows(ArchiveException.class, () -> SafeArchives.extract(cut, target));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void refusesANonEmptyTarget() throws IOException {
        Path archive = tarGz("ok.tgz", Entry.file("a.txt", "alpha"));
        Path target = Files.createDirectories(dir.resolve("out"));
        Files.writeString(target.resolve("keep.txt"), "mine");
        ArchiveException e = assertThrows(ArchiveException.class, () -> SafeArchives.extract(archive, target));
        assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("not an empty directory"),
                e.getMessage());
        assertEquals("mine", read(target.resolve("keep.txt")));
    }

    @Test
    void refusesFilesThatAreNotArchives() throws IOException {
        Path notArchive = Files.writeString(dir.resolve("plain.bin"), "just text");
        ArchiveException e = assertThrows(ArchiveException.class,
                () -> SafeArchives.extract(notArchive, dir.resolve("out")));
        assertTrue(e.getMessage().contains(notArchive.toString()), e.getMessage());
        ArchiveException missing = assertThrows(ArchiveException.class,
                () -> SafeArchives.extract(dir.resolve("absent.tgz"), dir.resolve("out")));
        assertTrue(missing.getMessage().contains("absent.tgz"), missing.getMessage());
    }
}
