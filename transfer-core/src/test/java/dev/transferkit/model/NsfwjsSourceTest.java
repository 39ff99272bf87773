package dev.transferkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.NpmPackages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the nsfwjs networks imported into DL4J against TensorFlow.js itself: the golden files in
 * {@code src/test/resources/golden/} were written by {@code src/test/node/golden.mjs} from the same inputs.
 * Needs npm and the npm registry the first time (the tarball is then kept in {@code target/test-npm-cache}).
 */
class NsfwjsSourceTest {
    private static final double TOLERANCE = 1e-4;
    private static final Path NPM_CACHE = Path.of("target", "test-npm-cache").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    private static BaseModel mobileNet;

    private static NsfwjsSource source(NsfwjsSource.Network network, Path cacheDir, String npmCommand) {
        return NsfwjsSource.builder().setNetwork(network).optCacheDir(cacheDir)
                .optNpmPackages(NpmPackages.builder().optCacheDir(NPM_CACHE).optNpmCommand(npmCommand).build())
                .build();
    }

    @BeforeAll
    static void convertMobileNet() {
        mobileNet = source(NsfwjsSource.Network.MOBILENET_V2, home, "npm").load();
    }

    /** The input patterns golden.mjs defines, over the flat NHWC index of one image. */
    private static INDArray goldenInputs(int size, List<String> patterns) {
        int n = size * size * 3;
        float[] x = new float[patterns.size() * n];
        for (int p = 0; p < patterns.size(); p++) {
            for (int h = 0; h < size; h++) {
                for (int w = 0; w < size; w++) {
                    for (int c = 0; c < 3; c++) {
                        long i = (h * (long) size + w) * 3 + c;
                        double v = switch (patterns.get(p)) {
                            case "mod7919" -> ((i * 7919) % 1000) / 1000.0;
                            case "stripes" -> ((h * 31 + w * 17 + c * 101) % 256) / 255.0;
                            default -> throw new IllegalArgumentException("unknown golden pattern " + patterns.get(p));
                        };
                        x[p * n + (int) i] = (float) v;
                    }
                }
            }
        }
        return Nd4j.create(x, new long[]{patterns.size(), size, size, 3}, 'c');
    }

    private static JsonNode golden(String network) throws IOException {
        try (InputStream in = NsfwjsSourceTest.class.getResourceAsStream("/golden/nsfwjs-" + network + ".json")) {
            assertNotNull(in, "golden file for " + network);
            return JSON.readTree(in);
        }
    }

    private static double[][] matrix(JsonNode rows) {
        double[][] m = new double[rows.size()][];
        for (int r = 0; r < m.length; r++) {
            m[r] = new double[rows.get(r).size()];
            for (int c = 0; c < m[r].length; c++) {
                m[r][c] = rows.get(r).get(c).asDouble();
            }
        }
        return m;
    }

    private static void assertClose(double[][] expected, INDArray actual, String what) {
        assertEquals(expected.length, actual.rows(), what);
        for (int r = 0; r < expected.length; r++) {
            double[] a = actual.getRow(r).toDoubleVector();
            assertEquals(expected[r].length, a.length, what);
            for (int c = 0; c < a.length; c++) {
                assertEquals(expected[r][c], a[c], TOLERANCE, what + " [" + r + "][" + c + "]");
            }
        }
    }

    /** Runs one forward pass and compares the softmax and the feature layer's channel means with TF.js. */
    private static void assertMatchesTfjs(BaseModel model, String network) throws IOException {
        JsonNode golden = golden(network);
        List<String> patterns = new ArrayList<>();
        golden.get("patterns").forEach(p -> patterns.add(p.asText()));
        int size = golden.get("inputSize").asInt();
        assertEquals(new InputSpec(size, size, 3, DataFormat.NHWC), model.inputSpec());
        String featureLayer = golden.get("featureLayer").asText();
        assertTrue(model.featureLayers().contains(featureLayer), model.featureLayers().toString());

        Map<String, INDArray> activations = model.graph().feedForward(new INDArray[]{goldenInputs(size, patterns)}, false);
        String output = model.graph().getConfiguration().getNetworkOutputs().get(0);
        assertClose(matrix(golden.get("softmax")), activations.get(output), network + " softmax");

        INDArray features = activations.get(featureLayer);
        long[] shape = features.shape();
        JsonNode goldenShape = golden.get("featureShape");
        assertArrayEquals(new long[]{patterns.size(), goldenShape.get(0).asLong(), goldenShape.get(1).asLong(),
                goldenShape.get(2).asLong()}, shape, featureLayer + " shape (NHWC)");
        double[][] means = matrix(golden.get("featureChannelMeans"));
        INDArray actualMeans = features.mean(1, 2).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, means[0].length));
        assertClose(means, actualMeans, network + " " + featureLayer + " channel means");
    }

    @Test
    void mobileNetV2MatchesTensorFlowJs() throws IOException {
        assertMatchesTfjs(mobileNet, "mobilenet_v2");
    }

    @Test
    void inceptionV3MatchesTensorFlowJs() throws IOException {
        BaseModel inception = source(NsfwjsSource.Network.INCEPTION_V3, home, "npm").load();
        assertEquals(List.of("mixed6", "mixed7", "mixed5", "mixed9", "mixed10", "flatten_1"), inception.featureLayers());
        assertMatchesTfjs(inception, "inception_v3");
    }

    @Test
    void topKNamesTheClassesOfTheGoldenOutputInOrder() throws IOException {
        double[][] softmax = matrix(golden("mobilenet_v2").get("softmax"));
        List<List<Prediction>> top = mobileNet.topK(Nd4j.create(softmax), 3);
        for (int r = 0; r < softmax.length; r++) {
            double[] p = softmax[r];
            List<Integer> order = IntStream.range(0, p.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> p[i]).reversed()).toList();
            assertEquals(3, top.get(r).size());
            for (int k = 0; k < 3; k++) {
                Prediction prediction = top.get(r).get(k);
                assertEquals(order.get(k), prediction.index());
                assertEquals(NsfwjsSource.LABELS.get(order.get(k)), prediction.label());
                assertEquals(p[order.get(k)], prediction.probability(), 1e-7);
            }
        }
    }

    @Test
    void describesTheModelAndItsOrigin() {
        assertEquals("nsfwjs-mobilenet_v2", mobileNet.name());
        assertEquals(Preprocessing.UNIT, mobileNet.preprocessing());
        assertEquals(List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy"), mobileNet.labels());
        assertEquals(NsfwjsSource.Network.MOBILENET_V2.featureLayers(), mobileNet.featureLayers());
        assertEquals(2_619_461, mobileNet.graph().numParams(), "the parameter count of the TF.js model");
        Map<String, String> provenance = mobileNet.provenance();
        assertEquals("npm", provenance.get("source"));
        assertEquals("nsfwjs", provenance.get("package"));
        assertEquals("4.4.0", provenance.get("version"));
        assertEquals(NsfwjsSource.INTEGRITY, provenance.get("integrity"));
        assertEquals("MIT", provenance.get("licence"));
        assertEquals("package/dist/models/mobilenet_v2", provenance.get("modelDir"));
        INDArray features = mobileNet.graph().feedForward(new INDArray[]{Nd4j.zeros(1, 224, 224, 3)}, false)
                .get("flatten_1");
        assertArrayEquals(new long[]{1, 1280}, features.shape(), "flatten_1 is the pooled 1280-d feature");
    }

    @Test
    void reloadsTheCachedZipBitIdenticallyWithoutNpm() throws IOException {
        NsfwjsSource cached = source(NsfwjsSource.Network.MOBILENET_V2, home, home.resolve("no-npm-here").toString());
        assertTrue(Files.isRegularFile(cached.cachedModel()), cached.cachedModel().toString());
        assertEquals(home.resolve("models/nsfwjs-4.4.0-mobilenet_v2.zip"), cached.cachedModel());
        BaseModel reloaded = cached.load();
        INDArray x = goldenInputs(224, List.of("stripes"));
        assertEquals(mobileNet.output(x), reloaded.output(x), "outputs must be bit-identical");
        assertEquals(mobileNet.name(), reloaded.name());
        assertEquals(mobileNet.inputSpec(), reloaded.inputSpec());
        assertEquals(mobileNet.preprocessing(), reloaded.preprocessing());
        assertEquals(mobileNet.labels(), reloaded.labels());
        assertEquals(mobileNet.featureLayers(), reloaded.featureLayers());
        assertEquals(mobileNet.provenance(), reloaded.provenance());
    }

    @Test
    void reportsAnUnreadableCachedZipWithoutDeletingIt(@TempDir Path otherHome) throws IOException {
        NsfwjsSource source = source(NsfwjsSource.Network.MOBILENET_V2, otherHome, "npm");
        Files.createDirectories(source.cachedModel().getParent());
        Files.writeString(source.cachedModel(), "not a zip");
        ModelLoadException e = assertThrows(ModelLoadException.class, source::load);
        assertTrue(e.getMessage().contains(source.cachedModel().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("Delete it"), e.getMessage());
        assertTrue(Files.exists(source.cachedModel()));
    }
}
