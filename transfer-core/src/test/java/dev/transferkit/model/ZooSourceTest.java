package dev.transferkit.model;

import com.sun.net.httpserver.HttpServer;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksum;
import dev.transferkit.io.Checksums;
import dev.transferkit.io.Downloader;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZooSourceTest {
    private static final String REMOTE = "models/tinynet_dl4j_inference.v1.zip";
    private static ComputationGraph original;
    private static byte[] zipBytes;

    @TempDir
    static Path shared;
    @TempDir
    Path cache;
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final Downloader downloader = Downloader.builder().optConnectTimeout(Duration.ofSeconds(2))
            .optReadTimeout(Duration.ofSeconds(2)).optRetries(0).build();

    /** A stand-in for a zoo architecture that serves a tiny network. */
    private record TinyEntry(Checksum checksum, List<String> prepared) implements ZooEntry {
        @Override
        public String modelName() {
            return "tinynet";
        }

        @Override
        public String remotePath() {
            return REMOTE;
        }

        @Override
        public InputSpec inputSpec() {
            return new InputSpec(TinyNets.SIZE, TinyNets.SIZE, 3, DataFormat.NCHW);
        }

        @Override
        public Preprocessing preprocessing() {
            return Preprocessing.CAFFE;
        }

        @Override
        public List<String> labels() {
            return List.of("a", "b", "c");
        }

        @Override
        public List<String> resolveFeatureLayers(ComputationGraph graph) {
            return List.of("gap", "conv");
        }

        @Override
        public void prepare(ComputationGraph graph) {
            prepared.add(graph.getConfiguration().getNetworkOutputs().get(0));
        }
    }

    @BeforeAll
    static void makeZip() throws IOException {
        original = TinyNets.graph(11);
        Path zip = shared.resolve("tiny.zip");
        ModelSerializer.writeModel(original, zip.toFile(), false);
        zipBytes = Files.readAllBytes(zip);
    }

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/mirror/" + REMOTE, ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, zipBytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(zipBytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private URI mirror() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mirror");
    }

    private Checksum rightChecksum() {
        java.util.zip.Adler32 adler = new java.util.zip.Adler32();
        adler.update(zipBytes);
        return Checksum.adler32(adler.getValue());
    }

    private ZooSource source(ZooEntry entry, URI base) {
        return ZooSource.builder().setEntry(entry).optBaseUrl(base).optCacheDir(cache).optDownloader(downloader).build();
    }

    @Test
    void downloadsVerifiesRestoresAndThenUsesTheCache() {
        List<String> prepared = new java.util.ArrayList<>();
        ZooSource source = source(new TinyEntry(rightChecksum(), prepared), mirror());
        assertEquals(URI.create(mirror() + "/" + REMOTE), source.url(), "the relative path is rebased on the mirror");
        assertEquals(cache.resolve("tinynet").resolve("tinynet_dl4j_inference.v1.zip"), source.cachedFile());

        BaseModel model = source.load();
        assertEquals(1, requests.get());
        assertTrue(Files.isRegularFile(source.cachedFile()));
        assertEquals("tinynet", model.name());
        assertEquals(List.of("gap", "conv"), model.featureLayers());
        assertEquals(List.of("a", "b", "c"), model.labels());
        assertEquals(Preprocessing.CAFFE, model.preprocessing());
        assertEquals(source.url().toString(), model.provenance().get("url"));
        assertEquals(rightChecksum().toString(), model.provenance().get("checksum"));
        assertEquals(source.cachedFile().toString(), model.provenance().get("file"));
        assertEquals(List.of("out"), prepared, "the entry's fixes run on the restored graph");
        INDArray x = TinyNets.batch(5);
        assertArrayEquals(original.outputSingle(x).ravel().toFloatVector(), model.output(x).ravel().toFloatVector(), 1e-6f);

        BaseModel again = source.load();
        assertEquals(1, requests.get(), "a verified cached file is not downloaded again");
        assertArrayEquals(model.output(x).ravel().toFloatVector(), again.output(x).ravel().toFloatVector(), 0f);
    }

    @Test
    void corruptCachedFileIsReportedAndNotDeleted() throws IOException {
        ZooSource source = source(new TinyEntry(rightChecksum(), new java.util.ArrayList<>()), mirror());
        Files.createDirectories(source.cachedFile().getParent());
        Files.writeString(source.cachedFile(), "half a download");
        String actual = Checksums.compute(source.cachedFile(), Checksums.Algorithm.ADLER32);
        ModelLoadException e = assertThrows(ModelLoadException.class, source::load);
        assertTrue(e.getMessage().contains(source.cachedFile().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(rightChecksum().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("adler32:" + actual), e.getMessage());
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
        assertEquals("half a download", Files.readString(source.cachedFile()), "the user's file is left alone");
        assertEquals(0, requests.get());
    }

    @Test
    void servedFileWithWrongChecksumLeavesNothingInTheCache() {
        ZooSource source = source(new TinyEntry(Checksum.adler32(12345), new java.util.ArrayList<>()), mirror());
        ModelLoadException e = assertThrows(ModelLoadException.class, source::load);
        assertTrue(e.getMessage().contains("adler32:12345"), e.getMessage());
        assertTrue(e.getMessage().contains("tinynet"), e.getMessage());
        assertFalse(Files.exists(source.cachedFile()));
        assertFalse(Files.exists(Downloader.partFile(source.cachedFile())));
    }

    @Test
    void offlineErrorNamesTheUrlAndWhereToPutTheFile() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ZooSource source = source(new TinyEntry(rightChecksum(), new java.util.ArrayList<>()),
                URI.create("http://127.0.0.1:" + port + "/dl4j/"));
        ModelLoadException e = assertThrows(ModelLoadException.class, source::load);
        assertTrue(e.getMessage().contains("http://127.0.0.1:" + port + "/dl4j/" + REMOTE), e.getMessage());
        assertTrue(e.getMessage().contains("put the file at " + source.cachedFile()), e.getMessage());
    }

    @Test
    void aFileDroppedIntoTheCacheByHandIsUsedOffline() throws IOException {
        ZooSource source = source(new TinyEntry(rightChecksum(), new java.util.ArrayList<>()), URI.create("http://127.0.0.1:9/"));
        Files.createDirectories(source.cachedFile().getParent());
        Files.write(source.cachedFile(), zipBytes);
        BaseModel model = source.load();
        assertEquals("tinynet", model.name());
        assertEquals(0, requests.get());
    }

    @Test
    void realArchitecturesUseTheZoosPathsAndTheBaseUrl() {
        ZooSource vgg = ZooSource.builder().setArchitecture(ZooArchitecture.VGG16).optCacheDir(cache).build();
        assertEquals(URI.create(DL4JResources.getBaseDownloadURL()).resolve("models/vgg16_dl4j_inference.zip"), vgg.url());
        assertEquals(cache.resolve("vgg16/vgg16_dl4j_inference.zip"), vgg.cachedFile());

        ZooSource mirrored = ZooSource.builder().setArchitecture(ZooArchitecture.RESNET50)
                .optBaseUrl(URI.create("https://mirror.example.org/dl4j")).optCacheDir(cache).build();
        assertEquals(URI.create("https://mirror.example.org/dl4j/models/resnet50_dl4j_inference.v3.zip"), mirrored.url());
        assertTrue(mirrored.toString().contains("resnet50"), mirrored.toString());
    }

    @Test
    void honoursDl4jsBaseUrlProperty() {
        String key = org.deeplearning4j.config.DL4JSystemProperties.DL4J_RESOURCES_BASE_URL_PROPERTY;
        String before = System.getProperty(key);
        try {
            System.setProperty(key, "http://zoo-mirror.example.org/root");
            assertEquals(URI.create("http://zoo-mirror.example.org/root/"), ZooSource.defaultBaseUrl());
            ZooSource s = ZooSource.builder().setArchitecture(ZooArchitecture.XCEPTION).optCacheDir(cache).build();
            assertEquals(URI.create("http://zoo-mirror.example.org/root/models/xception_dl4j_inference.v2.zip"), s.url());
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void realArchitectureOfflineNamesTheExactCachePath() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ZooSource s = ZooSource.builder().setArchitecture(ZooArchitecture.SQUEEZENET).optCacheDir(cache)
                .optBaseUrl(URI.create("http://127.0.0.1:" + port + "/")).optDownloader(downloader).build();
        ModelLoadException e = assertThrows(ModelLoadException.class, s::load);
        assertTrue(e.getMessage().contains("models/squeezenet_dl4j_inference.v2.zip"), e.getMessage());
        assertTrue(e.getMessage().contains(cache.resolve("squeezenet/squeezenet_dl4j_inference.v2.zip").toString()), e.getMessage());
    }

    @Test
    void invalidBuilderUseIsRejected() {
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> ZooSource.builder().build());
        assertThrows(IllegalArgumentException.class, () -> ZooSource.builder().optBaseUrl(URI.create("relative/path")));
        assertThrows(IllegalArgumentException.class, () -> ZooSource.builder().optBaseUrl(URI.create("ftp://example.org/")));
    }
}
