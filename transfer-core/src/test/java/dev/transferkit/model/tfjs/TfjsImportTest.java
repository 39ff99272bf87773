package dev.transferkit.model.tfjs;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TfjsImportTest {
    @TempDir
    Path dir;

    private static INDArray batch() {
        float[] a = TinyTfjsModel.input(0);
        float[] b = TinyTfjsModel.input(1);
        float[] both = Arrays.copyOf(a, a.length * 2);
        System.arraycopy(b, 0, both, a.length, b.length);
        return Nd4j.create(both, new long[]{2, TinyTfjsModel.H, TinyTfjsModel.W, TinyTfjsModel.C}, 'c');
    }

    private static void assertMatchesHandComputation(ComputationGraph graph) {
        INDArray out = graph.outputSingle(false, batch());
        assertArrayEquals(new long[]{2, TinyTfjsModel.UNITS}, out.shape());
        for (int image = 0; image < 2; image++) {
            double[] expected = TinyTfjsModel.forward(TinyTfjsModel.input(image));
            double[] actual = out.getRow(image).toDoubleVector();
            assertArrayEquals(expected, actual, 1e-5, "image " + image + ": " + Arrays.toString(actual));
        }
    }

    @Test
    void decodesFloat32Float16Uint8AndUint16Weights() throws IOException {
        TfjsModel model = TfjsModel.fromModelJson(TinyTfjsModel.writeFiles(dir));
        Map<String, INDArray> weights = model.readWeights();
        Map<String, float[]> expected = TinyTfjsModel.expectedWeights();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(weights.keySet()));
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), weights.get(e.getKey()).dup().data().asFloat(), e.getKey());
        }
        assertArrayEquals(new long[]{2, 2, 2, 2}, weights.get("conv/kernel").shape());
        assertArrayEquals(new long[]{8, 3}, weights.get("dense/kernel").shape());
        // Values with an exact meaning, independent of the formulas above:
        assertArrayEquals(new float[]{0.5f, -0.25f}, weights.get("conv/bias").toFloatVector(), "float16 quantisation");
        assertArrayEquals(new float[]{1.0f, 1.5f}, weights.get("bn/gamma").toFloatVector(), "plain float16");
        assertArrayEquals(new float[]{0.25f, -0.5f}, weights.get("bn/moving_mean").toFloatVector(), "uint16: -1 + q/1024");
        assertArrayEquals(new float[]{1.0f, 2.0f}, weights.get("bn/moving_variance").toFloatVector(), "uint8: 0.5 + q/4");
        assertEquals(-1 + 11 * 2.0 / 255, weights.get("dense/kernel").getDouble(0, 0), 1e-7, "uint8: -1 + 2q/255");
        assertArrayEquals(new float[]{-0.5f, (float) (-0.5 + 32768.0 / 65535), 0.5f},
                weights.get("dense/bias").toFloatVector(), "uint16: -0.5 + q/65535");
    }

    @Test
    void decodesInt32AndHalfPrecisionEdgeValues() {
        ByteBuffer b = ByteBuffer.allocate(4 * 3 + 2 * 7 + 3).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(-7).putInt(0).putInt(123456);
        for (int h : new int[]{0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x7E00}) {
            b.putShort((short) h);
        }
        b.put((byte) 0).put((byte) 3).put((byte) 255);
        b.flip();
        assertArrayEquals(new float[]{-7f, 0f, 123456f},
                new WeightSpec("i", new long[]{3}, "int32", null).decode(b));
        float[] halves = new WeightSpec("h", new long[]{7}, "float16", null).decode(b);
        assertArrayEquals(new float[]{1f, -2f, 65504f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY}, Arrays.copyOf(halves, 6));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(halves[4]), "negative zero keeps its sign");
        assertTrue(Float.isNaN(halves[6]));
        WeightSpec.Quantization q = new WeightSpec.Quantization("uint8", -1.2, 0.5, "int32");
        assertArrayEquals(new float[]{-1f, 0f, 126f}, new WeightSpec("q", new long[]{3}, "int32", q).decode(b),
                "quantised int32 values are rounded as TF.js does");
    }

    @Test
    void importsTheNetworkAsKerasDefinesIt() throws IOException {
        TfjsModel model = TfjsModel.fromModelJson(TinyTfjsModel.writeFiles(dir));
        assertEquals(Optional.of(new InputSpec(3, 3, 2, DataFormat.NHWC)), model.inputSpec());
        assertEquals(Map.of("format", "layers-model", "generatedBy", "keras v2.2.4", "convertedBy", "TransferKit test"),
                model.info());
        ComputationGraph graph = TfjsImporter.importGraph(model);
        assertTrue(graph.getConfiguration().getVertices().keySet().containsAll(List.of("conv", "bn", "relu", "dense")));
        assertMatchesHandComputation(graph);
    }

    @Test
    void rewritesIntegerReluSettingsAsDoubles() throws IOException {
        TfjsModel model = TfjsModel.fromModelJson(TinyTfjsModel.writeFiles(dir));
        assertTrue(model.modelTopology().toString().contains("\"max_value\":6,"), "the file has an integer");
        String config = TfjsImporter.kerasConfig(model).toString();
        assertTrue(config.contains("\"max_value\":6.0"), config);
        assertTrue(config.contains("\"negative_slope\":0.0"), config);
    }

    @Test
    void importsTheBundleLayoutThroughTheSameImporter() throws IOException {
        ComputationGraph fromFiles = TfjsImporter.importGraph(TfjsModel.fromModelJson(TinyTfjsModel.writeFiles(dir.resolve("a"))));
        TfjsModel bundle = TfjsModel.fromBundle(TinyTfjsModel.writeBundle(dir.resolve("b")));
        assertEquals(dir.resolve("b/model.min.js"), bundle.file());
        ComputationGraph fromBundle = TfjsImporter.importGraph(bundle);
        assertEquals(fromFiles.outputSingle(false, batch()), fromBundle.outputSingle(false, batch()));
        assertEquals(fromFiles.params(), fromBundle.params());
    }

    @Test
    void importsSequentialTopologiesWithTheirLayerNames() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        Path json = Files.writeString(dir.resolve("model.json"), TinyTfjsModel.modelJson("weights.bin", "float16", "ReLU", true));
        TfjsModel model = TfjsModel.fromModelJson(json);
        assertEquals(Optional.of(new InputSpec(3, 3, 2, DataFormat.NHWC)), model.inputSpec());
        ComputationGraph graph = TfjsImporter.importGraph(model);
        assertTrue(graph.getConfiguration().getVertices().keySet().containsAll(List.of("conv", "bn", "relu", "flat", "dense")));
        assertMatchesHandComputation(graph);
    }

    @Test
    void reportsAMissingShard() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir);
        Files.delete(dir.resolve("weights.bin"));
        TfjsModel model = TfjsModel.fromModelJson(json);
        TfjsFormatException e = assertThrows(TfjsFormatException.class, model::readWeights);
        assertTrue(e.getMessage().contains(dir.resolve("weights.bin").toString()), e.getMessage());
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void reportsAShardOfTheWrongSize() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir);
        byte[] shard = TinyTfjsModel.shard();
        Files.write(dir.resolve("weights.bin"), Arrays.copyOf(shard, shard.length - 1));
        TfjsFormatException e = assertThrows(TfjsFormatException.class,
                () -> TfjsImporter.importGraph(TfjsModel.fromModelJson(json)));
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("hold " + (shard.length - 1) + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("describes " + shard.length + " bytes"), e.getMessage());
    }

    @Test
    void rejectsUnknownDtypesNamingTheWeightAndFile() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        Path json = Files.writeString(dir.resolve("model.json"), TinyTfjsModel.modelJson("weights.bin", "complex64", "ReLU", false));
        TfjsFormatException e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromModelJson(json));
        assertTrue(e.getMessage().contains("'bn/gamma'") && e.getMessage().contains("complex64"), e.getMessage());
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    }

    @Test
    void rejectsGraphModels() throws IOException {
        Path json = Files.writeString(dir.resolve("model.json"), "{\"format\":\"graph-model\",\"generatedBy\":\"2.2.0\","
                + "\"modelTopology\":{\"node\":[{\"name\":\"x\",\"op\":\"Placeholder\"}],\"library\":{},\"versions\":{}},"
                + "\"weightsManifest\":[]}");
        TfjsFormatException e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromModelJson(json));
        assertTrue(e.getMessage().contains("TF.js graph models are not supported"), e.getMessage());
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    }

    @Test
    void reportsUnsupportedLayersByName() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        Path json = Files.writeString(dir.resolve("model.json"), TinyTfjsModel.modelJson("weights.bin", "float16", "FancyActivation", false));
        TfjsFormatException e = assertThrows(TfjsFormatException.class,
                () -> TfjsImporter.importGraph(TfjsModel.fromModelJson(json)));
        assertTrue(e.getMessage().contains("layer 'relu'") && e.getMessage().contains("FancyActivation"), e.getMessage());
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    }

    @Test
    void reportsMissingAndMalformedModelFiles() throws IOException {
        Path missing = dir.resolve("absent/model.json");
        TfjsFormatException e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromModelJson(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"modelTopology\": {");
        e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromModelJson(broken));
        assertTrue(e.getMessage().contains(broken.toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
        Path noTopology = Files.writeString(dir.resolve("plain.json"), "{\"weightsManifest\":[]}");
        e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromModelJson(noTopology));
        assertTrue(e.getMessage().contains(noTopology.toString()) && e.getMessage().contains("modelTopology"), e.getMessage());
        Path noBundle = Files.createDirectories(dir.resolve("nobundle"));
        e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromBundle(noBundle));
        assertTrue(e.getMessage().contains(noBundle.resolve("model.min.js").toString()), e.getMessage());
        Path noExports = Files.writeString(Files.createDirectories(dir.resolve("noexports")).resolve("model.min.js"),
                "module.exports=e();");
        e = assertThrows(TfjsFormatException.class, () -> TfjsModel.fromBundle(noExports.getParent()));
        assertTrue(e.getMessage().contains(noExports.toString()) && e.getMessage().contains("exports="), e.getMessage());
    }

    @Test
    void weightNamesMustBelongToALayer() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        String text = TinyTfjsModel.modelJson("weights.bin", "float16", "ReLU", false).replace("\"dense/bias\"", "\"nowhere/bias\"");
        Path json = Files.writeString(dir.resolve("model.json"), text);
        TfjsFormatException e = assertThrows(TfjsFormatException.class,
                () -> TfjsImporter.importGraph(TfjsModel.fromModelJson(json)));
        assertTrue(e.getMessage().contains("'nowhere/bias'") && e.getMessage().contains(json.toString()), e.getMessage());
    }
}
