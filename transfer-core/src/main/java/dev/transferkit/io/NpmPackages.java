package dev.transferkit.io;

import dev.transferkit.core.AtomicFiles;
import dev.transferkit.core.TransferKitHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Obtains npm package tarballs ({@code npm pack name@version}) and keeps them in a local cache, verified against
 * a pinned npm integrity string such as {@code sha512-<base64>}.
 *
 * <p>A cached tarball is used without running npm at all, so a machine without Node.js works when the file has
 * been placed at {@link #cachePath(String, String)}. A tarball is moved into the cache only after its hash
 * matched; a cached file with a wrong hash is never deleted or replaced silently, the caller gets an error that
 * names the file and both hashes instead.
 */
public final class NpmPackages {
    private static final Logger LOG = LoggerFactory.getLogger(NpmPackages.class);
    private static final Pattern NAME = Pattern.compile("(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*");
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+-]*");
    private static final Map<String, String> ALGORITHMS = Map.of(
            "sha1", "SHA-1", "sha256", "SHA-256", "sha384", "SHA-384", "sha512", "SHA-512");
    private static final int OUTPUT_TAIL = 2000;

    private final Path cacheDir;
    private final String npmCommand;
    private final Duration timeout;

    private NpmPackages(Builder b) {
        this.cacheDir = b.cacheDir.toAbsolutePath();
        this.npmCommand = b.npmCommand;
        this.timeout = b.timeout;
    }

    /**
     * Starts a builder; every setting is optional.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns packages cached under {@code TransferKitHome.resolve("npm")}, fetched with the {@code npm} on the path.
     *
     * @return the default instance
     */
    public static NpmPackages defaults() {
        return builder().build();
    }

    /** @return the directory that holds the cached tarballs */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Returns where the tarball of a package version is cached, named as {@code npm pack} names it
     * ({@code nsfwjs-4.4.0.tgz}; {@code @scope/name} becomes {@code scope-name-1.0.0.tgz}).
     *
     * @param name    the package name
     * @param version the exact version
     * @return the cache path (the file may not exist)
     */
    public Path cachePath(String name, String version) {
        checkSpec(name, version);
        return cacheDir.resolve(name.replace("@", "").replace('/', '-') + "-" + version + ".tgz");
    }

    /**
     * Returns the verified tarball of a package version, running {@code npm pack} first when it is not cached.
     *
     * @param name              the package name, e.g. {@code nsfwjs}
     * @param version           the exact version, e.g. {@code 4.4.0}
     * @param expectedIntegrity the npm integrity string, {@code <algorithm>-<base64 digest>} with algorithm
     *                          sha512, sha384, sha256 or sha1
     * @return the cached tarball, whose hash matches {@code expectedIntegrity}
     * @throws NpmPackageException      when npm is missing or fails, or a file has the wrong hash
     * @throws IllegalArgumentException when the name, version or integrity string is malformed
     */
    public Path pack(String name, String version, String expectedIntegrity) {
        Path file = cachePath(name, version);
        Integrity expected = Integrity.parse(expectedIntegrity);
        String spec = name + "@" + version;
        if (Files.isRegularFile(file)) {
            String actual = expected.digest(file);
            if (!actual.equals(expected.value())) {
                throw new NpmPackageException("The cached npm package file " + file + " (" + spec
                        + ") does not match its pinned integrity: expected " + expected + " but the file has "
                        + expected.algorithm() + "-" + actual + ". It was left in place; delete it to download " + spec
                        + " again, or replace it with the genuine " + file.getFileName() + ".");
            }
            LOG.debug("Using the cached npm package {}", file);
            return file;
        }
        try {
            Files.createDirectories(cacheDir);
            Path work = Files.createTempDirectory(cacheDir, ".npm-pack-");
            try {
                Path tarball = runPack(spec, file, work);
                String actual = expected.digest(tarball);
                if (!actual.equals(expected.value())) {
                    throw new NpmPackageException("The npm package " + spec + " downloaded by '" + npmCommand
                            + " pack' does not match its pinned integrity: expected " + expected + " but got "
                            + expected.algorithm() + "-" + actual + ". It was not cached. Check the registry npm uses"
                            + " (npm config get registry) or place the genuine file at " + file + ".");
                }
                AtomicFiles.move(tarball, file);
                LOG.info("Cached the npm package {} at {}", spec, file);
                return file;
            } finally {
                FileTrees.deleteRecursively(work);
            }
        } catch (IOException e) {
            throw new NpmPackageException("Could not cache the npm package " + spec + " at " + file + ": " + e, e);
        }
    }

    private Path runPack(String spec, Path file, Path work) throws IOException {
        Path log = work.resolve("npm-output.log");
        ProcessBuilder pb = new ProcessBuilder(npmCommand, "pack", spec, "--ignore-scripts")
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        LOG.info("Running '{} pack {}' in {} (timeout {})", npmCommand, spec, work, timeout);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new NpmPackageException("The npm package " + spec + " is not cached and the npm command '" + npmCommand
                    + "' could not be started (" + e.getMessage() + "). Either install Node.js and npm (e.g. "
                    + "'apt-get install nodejs npm', or from https://nodejs.org) and try again, or place the file "
                    + file.getFileName() + " (from 'npm pack " + spec + "' on another machine) at exactly " + file + ".", e);
        }
        boolean finished;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
            throw new NpmPackageException("Interrupted while running '" + npmCommand + " pack " + spec + "'.", e);
        }
        if (!finished) {
            kill(process);
            throw new NpmPackageException("'" + npmCommand + " pack " + spec + "' did not finish within " + timeout
                    + "; check that the npm registry is reachable, or place the file at " + file + ". npm output: "
                    + tail(log));
        }
        if (process.exitValue() != 0) {
            throw new NpmPackageException("'" + npmCommand + " pack " + spec + "' failed with exit code "
                    + process.exitValue() + "; check the package name, version and registry access, or place the file at "
                    + file + ". npm output: " + tail(log));
        }
        List<Path> tarballs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(work, "*.tgz")) {
            files.forEach(tarballs::add);
        }
        if (tarballs.size() != 1) {
            throw new NpmPackageException("'" + npmCommand + " pack " + spec + "' reported success but left "
                    + tarballs.size() + " .tgz files instead of one in " + work + ". npm output: " + tail(log));
        }
        return tarballs.get(0);
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8).strip();
            return text.length() <= OUTPUT_TAIL ? text : "..." + text.substring(text.length() - OUTPUT_TAIL);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static void checkSpec(String name, String version) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a valid npm package name.");
        }
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("'" + version + "' is not an exact npm package version such as 4.4.0.");
        }
    }

    @Override
    public String toString() {
        return "NpmPackages(cacheDir=" + cacheDir + ", npm=" + npmCommand + ", timeout=" + timeout + ")";
    }

    /** An npm integrity string: algorithm plus base64 digest. */
    private record Integrity(String algorithm, String value) {
        static Integrity parse(String integrity) {
            if (integrity != null) {
                int dash = integrity.indexOf('-');
                if (dash > 0 && ALGORITHMS.containsKey(integrity.substring(0, dash))) {
                    String value = integrity.substring(dash + 1).strip();
                    try {
                        Base64.getDecoder().decode(value);
                        return new Integrity(integrity.substring(0, dash), value);
                    } catch (IllegalArgumentException e) {
                        // fall through to the error below
                    }
                }
            }
            throw new IllegalArgumentException("'" + integrity + "' is not an npm integrity string such as "
                    + "'sha512-<base64 digest>' (algorithms: sha512, sha384, sha256, sha1).");
        }

        String digest(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                MessageDigest md = MessageDigest.getInstance(ALGORITHMS.get(algorithm));
                byte[] buffer = new byte[64 * 1024];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    md.update(buffer, 0, n);
                }
                return Base64.getEncoder().encodeToString(md.digest());
            } catch (IOException e) {
                throw new NpmPackageException("Could not read " + file + " to check its " + algorithm + " hash: "
                        + e.getMessage(), e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("This Java runtime lacks " + ALGORITHMS.get(algorithm) + ".", e);
            }
        }

        @Override
        public String toString() {
            return algorithm + "-" + value;
        }
    }

    /** Builder for {@link NpmPackages}. */
    public static final class Builder {
        private Path cacheDir = TransferKitHome.resolve("npm");
        private String npmCommand = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
                ? "npm.cmd" : "npm";
        private Duration timeout = Duration.ofMinutes(10);

        private Builder() {
        }

        /**
         * @param cacheDir where tarballs are cached; default {@code TransferKitHome.resolve("npm")}
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /**
         * @param npmCommand the npm executable, a name on the path or a full path; default {@code npm}
         * @return this builder
         */
        public Builder optNpmCommand(String npmCommand) {
            if (npmCommand == null || npmCommand.isBlank()) {
                throw new IllegalArgumentException("The npm command must not be blank.");
            }
            this.npmCommand = npmCommand;
            return this;
        }

        /**
         * @param timeout how long {@code npm pack} may run; default 10 minutes
         * @return this builder
         */
        public Builder optTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("The npm timeout must be positive, but was " + timeout + ".");
            }
            this.timeout = timeout;
            return this;
        }

        /** @return the configured instance */
        public NpmPackages build() {
            return new NpmPackages(this);
        }
    }
}
