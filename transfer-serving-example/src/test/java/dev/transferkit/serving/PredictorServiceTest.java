package dev.transferkit.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.TestImages;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The served classification of an uploaded image is the one {@link TransferModel#predict} gives the same file, for a
 * predictor whose network classifies and for the version-1 predictor fixture of transfer-predict (a linear head saved
 * as liblinear text), and the command line prints the same classes.
 */
class PredictorServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Path predictor(String which) throws IOException {
        Path file = dir.resolve(which + ".zip");
        if (which.equals("network")) {
            TransferModel.ofNetwork(TinyNetworks.baseModel(List.of("cat", "dog", "fox")), ImageOptions.defaults(), Map.of())
                    .save(file);
        } else {
            try (InputStream in = PredictorServiceTest.class.getResourceAsStream("/fixtures/v1/predictor-v1.zip")) {
                assertNotNull(in, "transfer-predict's test jar holds fixtures/v1/predictor-v1.zip");
                Files.copy(in, file);
            }
        }
        return file;
    }

    private Path image(String name, int rgb) {
        return TestImages.gradient(dir.resolve(name), 24, 18, rgb);
    }

    private HttpResponse<String> post(URI uri, byte[] body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"network", "v1-linear-head"})
    void theServedClassificationIsThePredictorsOwn(String which) throws Exception {
        Path file = predictor(which);
        TransferModel reference = TransferModel.load(file);
        try (PredictorService service = PredictorService.start(TransferModel.load(file), new InetSocketAddress("127.0.0.1", 0), 2)) {
            for (Path image : List.of(image("a.png", 0x203040), image("b.jpg", 0xA05010))) {
                Classification expected = reference.predict(image);
                HttpResponse<String> r = post(service.endpoint(), Files.readAllBytes(image));
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
                JsonNode json = JSON.readTree(r.body());
                assertEquals(expected.label(), json.get("label").asText());
                assertEquals(expected.score(), json.get("score").asDouble(), 0.0);
                assertEquals(expected.probabilistic(), json.get("probabilistic").asBoolean());
                assertEquals(2, json.get("ranked").size());
                for (int i = 0; i < 2; i++) {
                    Prediction p = expected.ranked().get(i);
                    JsonNode served = json.get("ranked").get(i);
                    assertEquals(p.label(), served.get("label").asText());
                    assertEquals(p.index(), served.get("index").asInt());
                    assertEquals(p.probability(), served.get("score").asDouble(), 0.0, image + " class " + p.label());
                }
                JsonNode all = JSON.readTree(post(URI.create(service.endpoint() + "?top=10"), Files.readAllBytes(image)).body());
                assertEquals(expected.ranked().size(), all.get("ranked").size(), "top beyond the classes lists them all");
            }
        }
    }

    @Test
    void aJvmWithOnlyTheRuntimeClasspathServesThePredictorsClassification() throws Exception {
        Path file = predictor("v1-linear-head");
        Path image = image("d.jpg", 0x40A020);
        String classPath = Path.of("target", "classes") + File.pathSeparator
                + Files.readString(Path.of("target", "classpath.txt")).strip();
        assertTrue(!classPath.contains("hdf5") && !classPath.contains("liblinear") && !classPath.contains("spark"), classPath);
        try (ChildJvm child = ChildJvm.start(classPath, PredictorService.class.getName(), "--serve", "0", file.toString())) {
            String serving = child.awaitLine(l -> l.startsWith("Serving "), "the address being served");
            URI endpoint = URI.create(serving.replaceAll(".* at (http://\\S+/classify):.*", "$1"));
            HttpResponse<String> r = post(URI.create(endpoint + "?top=1"), Files.readAllBytes(image));
            assertEquals(200, r.statusCode(), r.body());
            Classification expected = TransferModel.load(file).predict(image);
            JsonNode json = JSON.readTree(r.body());
            assertEquals(expected.label(), json.get("label").asText());
            assertEquals(expected.score(), json.get("score").asDouble(), 0.0);
            assertEquals(1, json.get("ranked").size());
        }
    }

    @Test
    void badRequestsGetAnErrorNamingTheProblem() throws Exception {
        try (PredictorService service = PredictorService.start(TransferModel.load(predictor("network")),
                new InetSocketAddress("127.0.0.1", 0), 3)) {
            HttpResponse<String> notImage = post(service.endpoint(), "not an image".getBytes(StandardCharsets.UTF_8));
            assertEquals(400, notImage.statusCode());
            String error = JSON.readTree(notImage.body()).get("error").asText();
            assertTrue(error.contains("The file <upload> could not be decoded") && !error.contains("transferkit-upload-"), error);

            HttpResponse<String> get = http.send(HttpRequest.newBuilder(service.endpoint()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, get.statusCode());
            assertTrue(JSON.readTree(get.body()).get("error").asText().contains("GET"), get.body());

            byte[] png = Files.readAllBytes(image("c.png", 0x102030));
            HttpResponse<String> zero = post(URI.create(service.endpoint() + "?top=0"), png);
            assertEquals(400, zero.statusCode());
            assertTrue(zero.body().contains("was 0"), zero.body());
            HttpResponse<String> word = post(URI.create(service.endpoint() + "?top=all"), png);
            assertEquals(400, word.statusCode());
            assertTrue(word.body().contains("'all'"), word.body());
        }
    }

    @Test
    void theCommandLinePrintsEachImagesClasses() throws Exception {
        Path file = predictor("v1-linear-head");
        Path a = image("a.png", 0x305070);
        Path b = image("b.png", 0xC02040);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertNull(PredictorService.run(new String[]{"--top", "2", file.toString(), a.toString(), b.toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
        TransferModel reference = TransferModel.load(file);
        assertEquals(2, lines.size(), lines.toString());
        for (int i = 0; i < 2; i++) {
            Classification c = reference.predict(List.of(a, b).get(i));
            String first = String.format(Locale.ROOT, "  %s %.4f", c.ranked().get(0).label(), c.ranked().get(0).probability());
            String second = String.format(Locale.ROOT, "  %s %.4f", c.ranked().get(1).label(), c.ranked().get(1).probability());
            assertTrue(lines.get(i).startsWith(List.of(a, b).get(i).toString()) && lines.get(i).endsWith(first + second), lines.get(i));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PredictorService.run(new String[]{file.toString()}, System.out));
        assertTrue(e.getMessage().startsWith("Usage: PredictorService"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PredictorService.run(new String[]{"--serve", "x", file.toString()}, System.out));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }

    @Test
    void jsonStringsAreEscaped() {
        assertEquals("\"a \\\"b\\\" \\\\ \\u000a\"", PredictorService.quote("a \"b\" \\ \n"));
    }
}
