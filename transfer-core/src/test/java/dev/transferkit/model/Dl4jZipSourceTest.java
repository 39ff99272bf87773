package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Dl4jZipSourceTest {
    private static final InputSpec SPEC = new InputSpec(TinyNets.SIZE, TinyNets.SIZE, 3, DataFormat.NCHW);
    private static ComputationGraph graph;
    private static Path plainZip;

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    @BeforeAll
    static void writePlainZip() throws IOException {
        graph = TinyNets.graph(3);
        plainZip = shared.resolve("plain.zip");
        ModelSerializer.writeModel(graph, plainZip.toFile(), false);
    }

    private static float[] out(ComputationGraph g, INDArray x) {
        return g.outputSingle(x).ravel().toFloatVector();
    }

    @Test
    void roundTripWithMetadataRestoresEverything() {
        BaseModel saved = BaseModel.builder().setName("tiny").setGraph(graph).setInputSpec(SPEC)
                .setPreprocessing(Preprocessing.TORCH).optFeatureLayers(List.of("gap", "conv"))
                .optLabels(List.of("cat", "dog", "fish")).optProvenance(Map.of("source", "unit test")).build();
        Path file = dir.resolve("tiny.zip");
        saved.save(file);

        BaseModel loaded = Dl4jZipSource.of(file).load();
        assertEquals("tiny", loaded.name());
        assertEquals(SPEC, loaded.inputSpec());
        assertEquals(Preprocessing.TORCH, loaded.preprocessing());
        assertEquals(List.of("gap", "conv"), loaded.featureLayers());
        assertEquals(List.of("cat", "dog", "fish"), loaded.labels());
        assertEquals("unit test", loaded.provenance().get("source"));
        INDArray x = TinyNets.batch(1);
        assertArrayEquals(out(graph, x), out(loaded.graph(), x), 0f);

        BaseModel renamed = Dl4jZipSource.of(file).read().setName("renamed").optLabels(List.of("x", "y", "z")).build();
        assertEquals("renamed", renamed.name());
        assertEquals(List.of("x", "y", "z"), renamed.labels());
        assertEquals(List.of("gap", "conv"), renamed.featureLayers(), "values not overridden come from the metadata");
    }

    @Test
    void plainZipNeedsInputSpecAndPreprocessing() {
        MissingSettingException e = assertThrows(MissingSettingException.class,
                () -> Dl4jZipSource.of(plainZip).read().setInputSpec(SPEC).build());
        assertTrue(e.getMessage().contains(plainZip.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("call setPreprocessing") && e.getMessage().contains("no TransferKit metadata"),
                e.getMessage());
        e = assertThrows(MissingSettingException.class, () -> Dl4jZipSource.of(plainZip).load());
        assertTrue(e.getMessage().contains("call setInputSpec"), e.getMessage());

        BaseModel loaded = Dl4jZipSource.of(plainZip).read().setInputSpec(SPEC).setPreprocessing(Preprocessing.UNIT)
                .optFeatureLayers(List.of("gap")).build();
        assertEquals("plain", loaded.name());
        assertEquals(List.of("gap"), loaded.featureLayers());
        assertEquals(plainZip.toString(), loaded.provenance().get("file"));
        INDArray x = TinyNets.batch(2);
        assertArrayEquals(out(graph, x), out(loaded.graph(), x), 0f);
    }

    @Test
    void multiLayerNetworkZipIsConverted() throws IOException {
        MultiLayerNetwork mln = TinyNets.multiLayer(4);
        Path file = dir.resolve("mln.zip");
        ModelSerializer.writeModel(mln, file.toFile(), false);
        BaseModel loaded = Dl4jZipSource.of(file).read().setInputSpec(SPEC).setPreprocessing(Preprocessing.UNIT).build();
        INDArray x = TinyNets.batch(3);
        assertArrayEquals(mln.output(x).ravel().toFloatVector(), out(loaded.graph(), x), 1e-6f);
        assertEquals("MultiLayerNetwork (converted)", loaded.provenance().get("networkType"));
    }

    @Test
    void unknownFeatureLayerIsRejected() {
        Exception e = assertThrows(RuntimeException.class, () -> Dl4jZipSource.of(plainZip).read().setInputSpec(SPEC)
                .setPreprocessing(Preprocessing.UNIT).optFeatureLayers(List.of("fc7")).build());
        assertTrue(e.getMessage().contains("fc7"), e.getMessage());
    }

    private ModelLoadException loadFails(Path file) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Dl4jZipSource.of(file).read()
                .setInputSpec(SPEC).setPreprocessing(Preprocessing.UNIT).build());
        assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), "names the file: " + e.getMessage());
        return e;
    }

    @Test
    void missingFile() {
        assertTrue(loadFails(dir.resolve("absent.zip")).getMessage().contains("does not exist"));
    }

    @Test
    void directoryInsteadOfFile() {
        assertTrue(loadFails(dir).getMessage().contains("not a regular file"));
    }

    @Test
    void notAZip() throws IOException {
        Path file = Files.writeString(dir.resolve("model.zip"), "this is plain text, not a zip");
        assertTrue(loadFails(file).getMessage().contains("is not a zip file"));
    }

    @Test
    void truncatedZip() throws IOException {
        byte[] bytes = Files.readAllBytes(plainZip);
        Path file = Files.write(dir.resolve("truncated.zip"), Arrays.copyOf(bytes, bytes.length / 2));
        assertTrue(loadFails(file).getMessage().contains("damaged or truncated"));
    }

    @Test
    void zipThatIsNotADl4jModel() throws IOException {
        Path file = dir.resolve("photos.zip");
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write("hello".getBytes());
            zip.closeEntry();
        }
        assertTrue(loadFails(file).getMessage().contains("no configuration.json"));
    }

    @Test
    void needsAFile() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> Dl4jZipSource.of(null));
        assertTrue(e.getMessage().contains("needs the path of a model zip"), e.getMessage());
        String s = Dl4jZipSource.of(plainZip).toString();
        assertTrue(s.contains("plain.zip"), s);
    }
}
