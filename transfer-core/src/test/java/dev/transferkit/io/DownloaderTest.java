package dev.transferkit.io;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownloaderTest {
    private static final byte[] DATA = new byte[200_000];

    static {
        new Random(42).nextBytes(DATA);
    }

    @TempDir
    Path dir;
    private HttpServer server;
    private ExecutorService executor;
    private final AtomicInteger dataRequests = new AtomicInteger();
    private final AtomicInteger flakyRequests = new AtomicInteger();
    private Downloader fast;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/files/data.bin", ex -> {
            dataRequests.incrementAndGet();
            respond(ex, 200, DATA);
        });
        server.createContext("/redirect", ex -> {
            ex.getResponseHeaders().add("Location", "/files/data.bin");
            respond(ex, 302, new byte[0]);
        });
        server.createContext("/slow", ex -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200, DATA);
        });
        server.createContext("/flaky", ex -> respond(ex, flakyRequests.incrementAndGet() == 1 ? 503 : 200, DATA));
        server.createContext("/missing", ex -> respond(ex, 404, "not here".getBytes()));
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.start();
        fast = Downloader.builder().optConnectTimeout(Duration.ofSeconds(2)).optReadTimeout(Duration.ofSeconds(2))
                .optRetries(0).build();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static Checksum sha256Of(byte[] data) throws Exception {
        return Checksum.sha256(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data)));
    }

    @Test
    void downloadsVerifiesAndMovesIntoPlace() throws Exception {
        Path target = dir.resolve("sub/dir/data.bin");
        Path result = fast.download(url("/files/data.bin"), target, sha256Of(DATA));
        assertEquals(target, result);
        assertArrayEquals(DATA, Files.readAllBytes(target));
        assertFalse(Files.exists(Downloader.partFile(target)), "the .part file must be gone");
        assertEquals(1, dataRequests.get());
    }

    @Test
    void adler32AsTheZooPublishesIt() throws Exception {
        java.util.zip.Adler32 adler = new java.util.zip.Adler32();
        adler.update(DATA);
        Path target = dir.resolve("data.bin");
        fast.download(url("/files/data.bin"), target, Checksum.adler32(adler.getValue()));
        assertArrayEquals(DATA, Files.readAllBytes(target));
    }

    @Test
    void followsRedirects() throws Exception {
        Path target = dir.resolve("data.bin");
        fast.download(url("/redirect"), target, sha256Of(DATA));
        assertArrayEquals(DATA, Files.readAllBytes(target));
    }

    @Test
    void wrongChecksumRemovesThePartFileAndWritesNothing() throws Exception {
        Path target = dir.resolve("data.bin");
        Checksum wrong = sha256Of("something else".getBytes());
        DownloadException e = assertThrows(DownloadException.class, () -> fast.download(url("/files/data.bin"), target, wrong));
        assertEquals(DownloadException.Kind.CHECKSUM, e.kind());
        assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(sha256Of(DATA).toString()), "names the actual checksum: " + e.getMessage());
        assertTrue(e.getMessage().contains(url("/files/data.bin").toString()), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(Downloader.partFile(target)));
    }

    @Test
    void wrongChecksumLeavesAnExistingUserFileUntouched() throws Exception {
        Path target = Files.writeString(dir.resolve("data.bin"), "the user's own file");
        assertThrows(DownloadException.class,
                () -> fast.download(url("/files/data.bin"), target, sha256Of("other".getBytes())));
        assertEquals("the user's own file", Files.readString(target));
        assertFalse(Files.exists(Downloader.partFile(target)));
    }

    @Test
    void readTimeoutFailsWithinBoundedTime() throws Exception {
        Downloader impatient = Downloader.builder().optReadTimeout(Duration.ofMillis(300)).optRetries(0).build();
        Path target = dir.resolve("slow.bin");
        long start = System.nanoTime();
        DownloadException e = assertThrows(DownloadException.class, () -> impatient.download(url("/slow"), target, sha256Of(DATA)));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(DownloadException.Kind.TIMEOUT, e.kind());
        assertTrue(seconds < 3.0, "took " + seconds + " s");
        assertTrue(e.getMessage().contains("timed out after 0.3 s"), e.getMessage());
        assertTrue(e.getMessage().contains(target.toAbsolutePath().toString()), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(Downloader.partFile(target)));
    }

    @Test
    void httpErrorNamesStatusAndUrl() throws Exception {
        Path target = dir.resolve("missing.bin");
        DownloadException e = assertThrows(DownloadException.class, () -> fast.download(url("/missing"), target, sha256Of(DATA)));
        assertEquals(DownloadException.Kind.HTTP_STATUS, e.kind());
        assertEquals(404, e.httpStatus());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertTrue(e.getMessage().contains(url("/missing").toString()), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void retriesTransientServerErrors() throws Exception {
        Downloader patient = Downloader.builder().optRetries(1).optRetryDelay(Duration.ZERO).build();
        Path target = dir.resolve("flaky.bin");
        patient.download(url("/flaky"), target, sha256Of(DATA));
        assertEquals(2, flakyRequests.get());
        assertArrayEquals(DATA, Files.readAllBytes(target));
    }

    @Test
    void doesNotRetryClientErrors() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/gone", ex -> {
            calls.incrementAndGet();
            respond(ex, 410, new byte[0]);
        });
        Downloader patient = Downloader.builder().optRetries(3).optRetryDelay(Duration.ZERO).build();
        assertThrows(DownloadException.class, () -> patient.download(url("/gone"), dir.resolve("gone.bin"), sha256Of(DATA)));
        assertEquals(1, calls.get());
    }

    @Test
    void refusedConnectionSaysWhereToPutTheFile() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/models/weights.zip");
        Path target = dir.resolve("cache/weights.zip");
        DownloadException e = assertThrows(DownloadException.class, () -> fast.download(uri, target, sha256Of(DATA)));
        assertEquals(DownloadException.Kind.UNREACHABLE, e.kind());
        assertTrue(e.getMessage().contains(uri.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("put the file at " + target.toAbsolutePath()), e.getMessage());
    }

    @Test
    void unknownHostSaysWhereToPutTheFile() throws Exception {
        URI uri = URI.create("http://transferkit-test.invalid/models/weights.zip");
        Path target = dir.resolve("weights.zip");
        DownloadException e = assertThrows(DownloadException.class, () -> fast.download(uri, target, sha256Of(DATA)));
        assertEquals(DownloadException.Kind.UNREACHABLE, e.kind());
        assertTrue(e.getMessage().contains(uri.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(target.toAbsolutePath().toString()), e.getMessage());
    }

    @Test
    void copiesFileUrls() throws Exception {
        Path source = Files.write(dir.resolve("mirror.bin"), DATA);
        Path target = dir.resolve("copy/data.bin");
        fast.download(source.toUri(), target, sha256Of(DATA));
        assertArrayEquals(DATA, Files.readAllBytes(target));
        DownloadException e = assertThrows(DownloadException.class,
                () -> fast.download(dir.resolve("absent.bin").toUri(), dir.resolve("x.bin"), sha256Of(DATA)));
        assertTrue(e.getMessage().contains("absent.bin"), e.getMessage());
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Downloader.builder().optRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> Downloader.builder().optReadTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Downloader.builder().optConnectTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class,
                () -> fast.download(URI.create("ftp://example.com/x"), dir.resolve("x"), Checksum.adler32(1)));
        String s = Downloader.defaults().toString();
        assertTrue(s.contains("connectTimeout=15 s") && s.contains("readTimeout=60 s") && s.contains("retries=2"), s);
    }
}
