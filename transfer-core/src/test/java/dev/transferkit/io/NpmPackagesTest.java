package dev.transferkit.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpmPackagesTest {
    private static final byte[] TARBALL = "pretend tarball bytes".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private static String integrity(byte[] content) throws NoSuchAlgorithmException {
        return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(content));
    }

    private NpmPackages withNpm(String command) {
        return NpmPackages.builder().optCacheDir(dir.resolve("cache")).optNpmCommand(command)
                .optTimeout(Duration.ofSeconds(20)).build();
    }

    /** Writes an executable shell script that stands in for npm. */
    private String fakeNpm(String body) throws IOException {
        Path script = dir.resolve("fake-npm.sh");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script.toString();
    }

    private List<String> cacheContents() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("cache"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void namesCacheFilesAsNpmPackDoes() {
        NpmPackages npm = withNpm("npm");
        assertEquals(dir.resolve("cache/nsfwjs-4.4.0.tgz"), npm.cachePath("nsfwjs", "4.4.0"));
        assertEquals(dir.resolve("cache/tensorflow-tfjs-4.22.0.tgz"), npm.cachePath("@tensorflow/tfjs", "4.22.0"));
        assertThrows(IllegalArgumentException.class, () -> npm.cachePath("../evil", "1.0.0"));
        assertThrows(IllegalArgumentException.class, () -> npm.cachePath("nsfwjs", "--registry=http://x"));
    }

    @Test
    void usesACachedFileWithoutRunningNpm() throws Exception {
        NpmPackages npm = withNpm(dir.resolve("no-such-dir/npm").toString());
        Path cached = npm.cachePath("pkg", "1.0.0");
        Files.createDirectories(cached.getParent());
        Files.write(cached, TARBALL);
        assertEquals(cached, npm.pack("pkg", "1.0.0", integrity(TARBALL)));
    }

    @Test
    void keepsACachedFileWithTheWrongHashAndNamesBothHashes() throws Exception {
        NpmPackages npm = withNpm(dir.resolve("no-such-dir/npm").toString());
        Path cached = npm.cachePath("pkg", "1.0.0");
        Files.createDirectories(cached.getParent());
        Files.write(cached, "tampered".getBytes(StandardCharsets.UTF_8));
        String expected = integrity(TARBALL);
        NpmPackageException e = assertThrows(NpmPackageException.class, () -> npm.pack("pkg", "1.0.0", expected));
        assertTrue(e.getMessage().contains(cached.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(integrity("tampered".getBytes(StandardCharsets.UTF_8))), e.getMessage());
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
        assertTrue(Files.exists(cached), "the cached file must not be deleted");
    }

    @Test
    void explainsHowToProceedWithoutNpm() throws Exception {
        String missing = dir.resolve("no-such-dir/npm").toString();
        NpmPackages npm = withNpm(missing);
        NpmPackageException e = assertThrows(NpmPackageException.class,
                () -> npm.pack("pkg", "1.0.0", integrity(TARBALL)));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install nodejs npm"), e.getMessage());
        assertTrue(e.getMessage().contains(npm.cachePath("pkg", "1.0.0").toString()), e.getMessage());
        assertEquals(List.of(), cacheContents(), "no file and no temporary directory may be left");
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void cachesWhatNpmPackProducesWhenTheHashMatches() throws Exception {
        NpmPackages npm = withNpm(fakeNpm("[ \"$1\" = pack ] && [ \"$2\" = pkg@1.0.0 ] || exit 3\n"
                + "printf 'pretend tarball bytes' > pkg-1.0.0.tgz"));
        Path file = npm.pack("pkg", "1.0.0", integrity(TARBALL));
        assertEquals(npm.cachePath("pkg", "1.0.0"), file);
        assertEquals(new String(TARBALL, StandardCharsets.UTF_8), Files.readString(file));
        assertEquals(List.of("pkg-1.0.0.tgz"), cacheContents());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void refusesADownloadWithTheWrongHash() throws Exception {
        NpmPackages npm = withNpm(fakeNpm("printf 'something else' > pkg-1.0.0.tgz"));
        String expected = integrity(TARBALL);
        NpmPackageException e = assertThrows(NpmPackageException.class, () -> npm.pack("pkg", "1.0.0", expected));
        assertTrue(e.getMessage().contains("pkg@1.0.0") && e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(integrity("something else".getBytes(StandardCharsets.UTF_8))), e.getMessage());
        assertEquals(List.of(), cacheContents(), "a file with the wrong hash must not be cached");
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void reportsNpmFailuresWithTheirOutput() throws Exception {
        NpmPackages npm = withNpm(fakeNpm("echo 'npm error 404 Not Found - pkg@1.0.0' >&2; exit 1"));
        NpmPackageException e = assertThrows(NpmPackageException.class,
                () -> npm.pack("pkg", "1.0.0", integrity(TARBALL)));
        assertTrue(e.getMessage().contains("exit code 1"), e.getMessage());
        assertTrue(e.getMessage().contains("404 Not Found"), e.getMessage());
        assertTrue(e.getMessage().contains(npm.cachePath("pkg", "1.0.0").toString()), e.getMessage());
        assertEquals(List.of(), cacheContents());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void stopsNpmAfterTheTimeout() throws Exception {
        NpmPackages npm = NpmPackages.builder().optCacheDir(dir.resolve("cache"))
                .optNpmCommand(fakeNpm("sleep 30")).optTimeout(Duration.ofMillis(500)).build();
        long start = System.nanoTime();
        NpmPackageException e = assertThrows(NpmPackageException.class,
                () -> npm.pack("pkg", "1.0.0", integrity(TARBALL)));
        assertTrue(e.getMessage().contains("did not finish within"), e.getMessage());
        assertTrue(System.nanoTime() - start < 15_000_000_000L, "the timeout must stop npm");
        assertFalse(Files.exists(npm.cachePath("pkg", "1.0.0")));
    }

    @Test
    void rejectsMalformedIntegrityStrings() {
        NpmPackages npm = withNpm("npm");
        for (String bad : new String[]{null, "", "md5-abc", "sha512", "sha512-not base64!"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> npm.pack("pkg", "1.0.0", bad));
            assertTrue(e.getMessage().contains("integrity"), e.getMessage());
        }
    }
}
