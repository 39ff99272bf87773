package dev.transferkit.examples.data;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.core.TransferKitHome;
import dev.transferkit.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Obtains the files of a Debian package without installing it: {@code apt-get download} fetches the .deb from the
 * configured archive (no root needed once the package lists exist) and {@code dpkg-deb -x} unpacks it into
 * {@code <transferkit home>/debian/<package>/}. A marker file written last tells a complete unpack from an interrupted one.
 */
public final class DebianPackage {
    private static final String MARKER = ".transferkit-complete";
    private static final Logger LOG = LoggerFactory.getLogger(DebianPackage.class);
    private final String name;
    private final Path cacheDir;
    private final String aptGet;
    private final String dpkgDeb;

    /** Uses the given commands and cache directory instead of the defaults; for tests. */
    DebianPackage(String name, Path cacheDir, String aptGet, String dpkgDeb) {
        this.name = name;
        this.cacheDir = cacheDir.toAbsolutePath();
        this.aptGet = aptGet;
        this.dpkgDeb = dpkgDeb;
    }

    /**
     * Describes a package cached under the TransferKit home directory.
     *
     * @param name the Debian package name, e.g. {@code darknet}
     * @return the package
     */
    public static DebianPackage of(String name) {
        if (!name.matches("[a-z0-9][a-z0-9+.-]+")) {
            throw new IllegalArgumentException("'" + name + "' is not a valid Debian package name.");
        }
        return new DebianPackage(name, TransferKitHome.resolve("debian", name), "apt-get", "dpkg-deb");
    }

    /**
     * Returns the unpacked package root, downloading and unpacking it first if needed.
     *
     * @return the directory holding the package's file tree ({@code usr/share/...})
     * @throws TransferKitException when apt-get or dpkg-deb is missing or fails; the message says what to run instead
     */
    public Path obtain() {
        if (Files.exists(cacheDir.resolve(MARKER))) {
            return cacheDir;
        }
        Path work = null;
        try {
            Files.createDirectories(cacheDir.getParent());
            // beside the cache directory, so the final rename stays on one file system
            work = Files.createTempDirectory(cacheDir.getParent(), "." + name + ".part-");
            run(work, List.of(aptGet, "download", name));
            Path deb;
            try (Stream<Path> s = Files.list(work)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new TransferKitException("'" + aptGet + " download " + name
                                + "' produced no .deb file in " + cacheDir.getParent() + "."));
            }
            Path unpack = work.resolve("root");
            run(work, List.of(dpkgDeb, "-x", deb.toString(), unpack.toString()));
            Files.writeString(unpack.resolve(MARKER), deb.getFileName().toString(), StandardCharsets.UTF_8);
            if (Files.exists(cacheDir)) {
                throw new TransferKitException("The directory " + cacheDir + " exists but holds no complete unpack of '" + name
                        + "' (no " + MARKER + "): remove it and run again.");
            }
            Files.move(unpack, cacheDir, StandardCopyOption.ATOMIC_MOVE);
            return cacheDir;
        } catch (IOException e) {
            throw new TransferKitException("Could not obtain the Debian package '" + name + "': " + e, e);
        } finally {
            if (work != null) {
                try {
                    FileTrees.deleteRecursively(work);
                } catch (IOException e) {
                    LOG.warn("Could not delete the temporary directory {}: {}", work, e.toString());
                }
            }
        }
    }

    private void run(Path dir, List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new TransferKitException("Could not run '" + String.join(" ", command) + "' (" + e.getMessage()
                    + "). Obtaining the Debian package '" + name + "' needs apt-get and dpkg-deb (Debian's apt and dpkg"
                    + " packages, present on Debian and Ubuntu); on another system install the package's files by hand"
                    + " (from https://packages.debian.org/" + name + ") and pass their paths instead.", e);
        }
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new TransferKitException("'" + String.join(" ", command) + "' did not finish within 10 minutes.");
            }
            if (p.exitValue() != 0) {
                throw new TransferKitException("'" + String.join(" ", command) + "' failed with exit code " + p.exitValue()
                        + ": " + out + (out.contains("Unable to locate") ? " Run 'apt-get update' as root first." : ""));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TransferKitException("Interrupted while running '" + String.join(" ", command) + "'.", e);
        }
    }

    @Override
    public String toString() {
        return "DebianPackage(" + name + " -> " + cacheDir + ")";
    }
}
