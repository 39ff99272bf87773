package dev.transferkit.io;

import dev.transferkit.core.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Downloads one file over HTTP(S) (or copies it from a {@code file:} URL) with bounded timeouts, verifies its
 * checksum and only then gives it its final name.
 *
 * <p>The bytes are streamed to {@code <target>.part} in the target's directory; when the checksum matches, the part
 * file is renamed over the target atomically, so a target never holds a half-written or unverified file. When the
 * checksum does not match, the part file (which is ours) is deleted and whatever was at the target before is left
 * exactly as it was. Redirects are followed (up to {@value #MAX_REDIRECTS}), transient failures (timeouts, broken
 * connections, HTTP 5xx and 429) are retried, and progress is logged through slf4j at most once per progress
 * interval. Instances are immutable and thread-safe; two downloads to the same target at once are not supported.
 */
public final class Downloader {
    /** The most redirects one download follows. */
    public static final int MAX_REDIRECTS = 10;
    private static final Logger log = LoggerFactory.getLogger(Downloader.class);
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final int BUFFER = 1 << 16;

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int retries;
    private final Duration retryDelay;
    private final Duration progressInterval;

    private Downloader(Builder b) {
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.retries = b.retries;
        this.retryDelay = b.retryDelay;
        this.progressInterval = b.progressInterval;
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
     * Returns a downloader with the default settings: 15 s connect timeout, 60 s read timeout, 2 retries.
     *
     * @return the default downloader
     */
    public static Downloader defaults() {
        return builder().build();
    }

    /** @return the longest wait for a connection */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return the longest wait for the next bytes of a response */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** @return how many times a transient failure is retried */
    public int retries() {
        return retries;
    }

    /**
     * Downloads a file, verifies it and moves it to {@code target}.
     *
     * @param uri      an {@code http}, {@code https} or {@code file} URL
     * @param target   where the verified file goes; its directory is created when missing, an existing file there is
     *                 replaced only by a verified download
     * @param expected the checksum the file must have
     * @return {@code target}
     * @throws DownloadException naming the URL and the target when the file cannot be downloaded or verified
     */
    public Path download(URI uri, Path target, Checksum expected) {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(expected, "expected");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!Set.of("http", "https", "file").contains(scheme)) {
            throw new IllegalArgumentException("Only http, https and file URLs can be downloaded, but got '" + uri + "'.");
        }
        Path part = partFile(target);
        try {
            Files.createDirectories(part.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new DownloadException(DownloadException.Kind.IO, uri, "Could not create the directory for " + target
                    + " to download " + uri + " into: " + e.getMessage(), e);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                if (scheme.equals("file")) {
                    copyLocal(uri, target, part);
                } else {
                    fetch(uri, target, part);
                }
                break;
            } catch (DownloadException e) {
                deleteQuietly(part);
                if (attempt >= retries || !isTransient(e)) {
                    throw e;
                }
                Duration wait = retryDelay.multipliedBy(1L << attempt);
                log.warn("{} Retrying in {} (attempt {} of {}).", e.getMessage(), seconds(wait), attempt + 2, retries + 1);
                sleep(wait, uri, target);
            }
        }
        verifyAndMove(uri, target, part, expected);
        return target;
    }

    /**
     * Returns the temporary file a download to {@code target} is streamed into.
     *
     * @param target the download's final file
     * @return {@code <target>.part} in the same directory
     */
    public static Path partFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    private void verifyAndMove(URI uri, Path target, Path part, Checksum expected) {
        String actual;
        try {
            actual = expected.computeFor(part);
        } catch (RuntimeException e) {
            deleteQuietly(part);
            throw new DownloadException(DownloadException.Kind.IO, uri, "Could not read back " + part
                    + " to verify the download of " + uri + ": " + e.getMessage(), e);
        }
        if (!actual.equals(expected.value())) {
            deleteQuietly(part);
            throw new DownloadException(DownloadException.Kind.CHECKSUM, uri, "The file downloaded from " + uri
                    + " has checksum " + expected.algorithm().label() + ":" + actual + " but " + expected
                    + " was expected, so it was discarded and " + target + " was not written. The server or a proxy may "
                    + "be serving a different or damaged file; try again, or use a mirror that has the right file.", null);
        }
        try {
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            AtomicFiles.move(part, target);
        } catch (IOException e) {
            deleteQuietly(part);
            throw new DownloadException(DownloadException.Kind.IO, uri, "Downloaded and verified " + uri
                    + " but could not move it to " + target + ": " + e.getMessage(), e);
        }
        log.info("Verified {} ({}) and saved it as {}.", uri, expected, target);
    }

    private void fetch(URI uri, Path target, Path part) {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpURLConnection connection = null;
            boolean connected = false;
            try {
                connection = (HttpURLConnection) current.toURL().openConnection();
                connection.setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()));
                connection.setReadTimeout(Math.toIntExact(readTimeout.toMillis()));
                connection.setInstanceFollowRedirects(false);
                connection.setRequestProperty("User-Agent", "TransferKit-Downloader");
                connection.connect();
                connected = true;
                int status = connection.getResponseCode();
                if (REDIRECTS.contains(status)) {
                    String location = connection.getHeaderField("Location");
                    if (location == null || hop >= MAX_REDIRECTS) {
                        throw new DownloadException(DownloadException.Kind.HTTP_STATUS, uri, status, "The server answered HTTP "
                                + status + (location == null ? " without a Location header" : " after " + hop + " redirects")
                                + " for " + current + describeRedirect(uri, current) + ", so " + target
                                + " was not downloaded.", null);
                    }
                    current = current.resolve(location);
                    log.debug("{} redirects to {}.", uri, current);
                    continue;
                }
                if (status != 200) {
                    throw new DownloadException(DownloadException.Kind.HTTP_STATUS, uri, status, "The server answered HTTP " + status
                            + statusText(connection) + " for " + current + describeRedirect(uri, current) + ", so " + target
                            + " was not downloaded." + manualHint(uri, target), null);
                }
                long length = connection.getContentLengthLong();
                long copied;
                try (InputStream in = connection.getInputStream(); OutputStream out = Files.newOutputStream(part)) {
                    copied = copy(in, out, length, uri);
                }
                if (length >= 0 && copied != length) {
                    throw new DownloadException(DownloadException.Kind.IO, uri, "The connection to " + current
                            + " closed after " + copied + " of " + length + " bytes, so " + target + " was not written.", null);
                }
                return;
            } catch (UnknownHostException | ConnectException | NoRouteToHostException e) {
                throw new DownloadException(DownloadException.Kind.UNREACHABLE, uri, "Could not reach " + current.getHost()
                        + (current.getPort() > 0 ? ":" + current.getPort() : "") + " to download " + current + " ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + "); this machine may be offline or the URL "
                        + "may be wrong." + manualHint(uri, target), e);
            } catch (SocketTimeoutException e) {
                Duration limit = connected ? readTimeout : connectTimeout;
                throw new DownloadException(DownloadException.Kind.TIMEOUT, uri, "Downloading " + current + " timed out after "
                        + seconds(limit) + (connected ? " without receiving data (read timeout)" : " while connecting (connect timeout)")
                        + ", so " + target + " was not written." + manualHint(uri, target), e);
            } catch (IOException e) {
                throw new DownloadException(DownloadException.Kind.IO, uri, "Downloading " + current + " to " + target
                        + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage() + "." + manualHint(uri, target), e);
            } finally {
                if (connection != null) {
                    connection.disconnect();
                }
            }
        }
    }

    private void copyLocal(URI uri, Path target, Path part) {
        Path source;
        try {
            source = Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The file URL '" + uri + "' does not name a local file.", e);
        }
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(part)) {
            copy(in, out, Files.size(source), uri);
        } catch (NoSuchFileException e) {
            throw new DownloadException(DownloadException.Kind.UNREACHABLE, uri, "The file " + source
                    + " does not exist, so it could not be copied to " + target + "." + manualHint(uri, target), e);
        } catch (IOException e) {
            throw new DownloadException(DownloadException.Kind.IO, uri, "Copying " + source + " to " + target + " failed: "
                    + e.getMessage(), e);
        }
    }

    private long copy(InputStream in, OutputStream out, long length, URI uri) throws IOException {
        Progress progress = new Progress(uri, length);
        byte[] buffer = new byte[BUFFER];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            out.write(buffer, 0, n);
            progress.add(n);
        }
        progress.done();
        return progress.bytes;
    }

    private static String manualHint(URI uri, Path target) {
        return " To work offline, download " + uri + " on a machine with internet access and put the file at "
                + target.toAbsolutePath() + ".";
    }

    private static String describeRedirect(URI original, URI current) {
        return original.equals(current) ? "" : " (redirected from " + original + ")";
    }

    private static String statusText(HttpURLConnection connection) {
        try {
            String message = connection.getResponseMessage();
            return message == null || message.isBlank() ? "" : " (" + message + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean isTransient(DownloadException e) {
        return switch (e.kind()) {
            case TIMEOUT, IO -> true;
            case HTTP_STATUS -> e.httpStatus() >= 500 || e.httpStatus() == 429;
            case UNREACHABLE, CHECKSUM -> false;
        };
    }

    private static void sleep(Duration wait, URI uri, Path target) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(DownloadException.Kind.IO, uri, "The download of " + uri + " to " + target
                    + " was interrupted.", e);
        }
    }

    private static void deleteQuietly(Path part) {
        try {
            Files.deleteIfExists(part);
        } catch (IOException e) {
            log.warn("Could not delete the incomplete download {}: {}", part, e.getMessage());
        }
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Logs progress at most once per interval. */
    private final class Progress {
        private final URI uri;
        private final long total;
        private final long start = System.nanoTime();
        private long lastLog = start;
        private long bytes;

        Progress(URI uri, long total) {
            this.uri = uri;
            this.total = total;
        }

        void add(int n) {
            bytes += n;
            long now = System.nanoTime();
            if (now - lastLog >= progressInterval.toNanos()) {
                lastLog = now;
                log.info("Downloading {}: {}{} at {}/s.", uri, size(bytes),
                        total > 0 ? String.format(Locale.ROOT, " of %s (%.0f%%)", size(total), 100.0 * bytes / total) : "",
                        size(rate(now)));
            }
        }

        void done() {
            long now = System.nanoTime();
            log.info("Downloaded {}: {} in {} ({}/s).", uri, size(bytes),
                    String.format(Locale.ROOT, "%.1f s", (now - start) / 1e9), size(rate(now)));
        }

        private long rate(long now) {
            double s = Math.max((now - start) / 1e9, 1e-3);
            return (long) (bytes / s);
        }
    }

    @Override
    public String toString() {
        return "Downloader(connectTimeout=" + seconds(connectTimeout) + ", readTimeout=" + seconds(readTimeout)
                + ", retries=" + retries + ", retryDelay=" + seconds(retryDelay) + ", progressInterval="
                + seconds(progressInterval) + ")";
    }

    /** Builder for {@link Downloader}; all settings are optional. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(15);
        private Duration readTimeout = Duration.ofSeconds(60);
        private int retries = 2;
        private Duration retryDelay = Duration.ofSeconds(1);
        private Duration progressInterval = Duration.ofSeconds(5);

        private Builder() {
        }

        /**
         * @param timeout the longest wait for a connection (default 15 s; 1 ms to 24 days)
         * @return this builder
         */
        public Builder optConnectTimeout(Duration timeout) {
            this.connectTimeout = checkTimeout(timeout, "connect timeout");
            return this;
        }

        /**
         * @param timeout the longest wait for the next bytes of a response (default 60 s; 1 ms to 24 days)
         * @return this builder
         */
        public Builder optReadTimeout(Duration timeout) {
            this.readTimeout = checkTimeout(timeout, "read timeout");
            return this;
        }

        /**
         * @param retries how many times a timeout, broken connection, HTTP 5xx or 429 is retried (default 2)
         * @return this builder
         */
        public Builder optRetries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("The number of retries cannot be negative, but got " + retries + ".");
            }
            this.retries = retries;
            return this;
        }

        /**
         * @param delay the wait before the first retry; it doubles for each further one (default 1 s)
         * @return this builder
         */
        public Builder optRetryDelay(Duration delay) {
            if (delay == null || delay.isNegative()) {
                throw new IllegalArgumentException("The retry delay must be zero or positive, but got " + delay + ".");
            }
            this.retryDelay = delay;
            return this;
        }

        /**
         * @param interval the shortest time between two progress log lines (default 5 s)
         * @return this builder
         */
        public Builder optProgressInterval(Duration interval) {
            if (interval == null || interval.isNegative()) {
                throw new IllegalArgumentException("The progress interval must be zero or positive, but got " + interval + ".");
            }
            this.progressInterval = interval;
            return this;
        }

        private static Duration checkTimeout(Duration timeout, String what) {
            if (timeout == null || timeout.toMillis() < 1 || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("The " + what + " must be between 1 ms and " + Integer.MAX_VALUE
                        + " ms, but got " + timeout + ".");
            }
            return timeout;
        }

        /** @return the immutable downloader */
        public Downloader build() {
            return new Downloader(this);
        }
    }
}
