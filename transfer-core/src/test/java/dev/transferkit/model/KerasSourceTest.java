package dev.transferkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Imports the tiny Keras files written by {@code src/test/python/make_keras_fixtures.py} and compares the outputs
 * with the numpy forward pass stored next to them.
 */
class KerasSourceTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) {
        try {
            return Path.of(KerasSourceTest.class.getResource("/dev/transferkit/model/keras/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertMatchesGolden(BaseModel model, String golden) throws IOException {
        JsonNode json = new ObjectMapper().readTree(fixture(golden).toFile());
        double[][][][] x = new ObjectMapper().convertValue(json.get("input_nhwc"), double[][][][].class);
        double[][] expected = new ObjectMapper().convertValue(json.get("output"), double[][].class);
        INDArray input = Nd4j.create(x).castTo(DataType.FLOAT);
        assertArrayEquals(model.inputSpec().batchShape(2), input.shape());
        INDArray output = model.output(input);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], output.getRow(i).toDoubleVector(), 1e-5, "row " + i);
        }
    }

    @Test
    void functionalModelMatchesNumpy() throws IOException {
        BaseModel model = KerasSource.of(fixture("tiny_functional.h5")).read().setPreprocessing(Preprocessing.TF)
                .optLabels(List.of("a", "b", "c")).optFeatureLayers(List.of("pool", "conv")).build();
        assertEquals("tiny_functional", model.name());
        assertEquals(new InputSpec(8, 8, 3, DataFormat.NHWC), model.inputSpec());
        assertEquals(Preprocessing.TF, model.preprocessing());
        assertEquals(List.of("pool", "conv"), model.featureLayers());
        assertEquals("2.2.4", model.provenance().get("kerasVersion"));
        assertEquals("Model", model.provenance().get("kerasModelClass"));
        assertMatchesGolden(model, "tiny_functional.golden.json");
    }

    @Test
    void sequentialModelIsConvertedAndMatchesNumpy() throws IOException {
        BaseModel model = KerasSource.of(fixture("tiny_sequential.h5")).read().setPreprocessing(Preprocessing.UNIT)
                .setName("seq").build();
        assertEquals("seq", model.name());
        assertEquals(new InputSpec(8, 8, 3, DataFormat.NHWC), model.inputSpec());
        assertEquals("Sequential", model.provenance().get("kerasModelClass"));
        assertMatchesGolden(model, "tiny_sequential.golden.json");
    }

    private static ModelLoadException loadFails(Path file) {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> KerasSource.of(file).read());
        assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), "names the file: " + e.getMessage());
        return e;
    }

    @Test
    void missingFile() {
        assertTrue(loadFails(dir.resolve("absent.h5")).getMessage().contains("does not exist"));
    }

    @Test
    void notHdf5() throws IOException {
        Path file = Files.writeString(dir.resolve("model.h5"), "{\"class_name\": \"Sequential\"}");
        assertTrue(loadFails(file).getMessage().contains("not an HDF5 file"));
    }

    @Test
    void hdf5ButNotKeras() {
        assertTrue(loadFails(fixture("not_keras.h5")).getMessage().contains("not a Keras model"));
    }

    @Test
    void unsupportedLayer() {
        ModelLoadException e = loadFails(fixture("unsupported_layer.h5"));
        assertTrue(e.getMessage().contains("does not support"), e.getMessage());
        assertTrue(e.getMessage().contains("TransferKitImaginaryLayer"), e.getMessage());
    }

    @Test
    void needsFileAndPreprocessing() {
        assertThrows(NullPointerException.class, () -> KerasSource.of(null));
        dev.transferkit.core.MissingSettingException e = assertThrows(dev.transferkit.core.MissingSettingException.class,
                () -> KerasSource.of(fixture("tiny_functional.h5")).load());
        assertTrue(e.getMessage().contains("call setPreprocessing") && e.getMessage().contains("tiny_functional.h5")
                && e.getMessage().contains("CAFFE for VGG/ResNet"), e.getMessage());
    }
}
