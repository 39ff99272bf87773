package dev.transferkit.model.tfjs;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.ModelLoadException;
import dev.transferkit.model.TfjsSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TfjsSourceTest {
    @TempDir
    Path dir;

    @Test
    void loadsAModelJsonWithItsInputFromTheInputLayer() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir.resolve("tiny"));
        TfjsSource source = TfjsSource.builder().setModelJson(json).setPreprocessing(Preprocessing.UNIT)
                .optLabels(List.of("a", "b", "c")).optFeatureLayers(List.of("flat", "relu")).build();
        assertTrue(source.toString().contains(json.toString()), source.toString());
        BaseModel model = source.load();
        assertEquals("tiny", model.name(), "named after the model's directory");
        assertEquals(new InputSpec(3, 3, 2, DataFormat.NHWC), model.inputSpec());
        assertEquals(Preprocessing.UNIT, model.preprocessing());
        assertEquals(List.of("a", "b", "c"), model.labels());
        assertEquals("flat", model.defaultFeatureLayer());
        assertEquals("tfjs-layers", model.provenance().get("source"));
        assertEquals(json.toAbsolutePath().toString(), model.provenance().get("file"));
        assertEquals("keras v2.2.4", model.provenance().get("tfjs.generatedBy"));
    }

    @Test
    void loadsABundleWithTheGivenNameAndInputSpec() throws IOException {
        Path bundle = TinyTfjsModel.writeBundle(dir.resolve("bundle"));
        InputSpec spec = new InputSpec(3, 3, 2, DataFormat.NHWC);
        BaseModel model = TfjsSource.builder().setBundle(bundle).setPreprocessing(Preprocessing.TF)
                .optInputSpec(spec).optName("my-tiny").build().load();
        assertEquals("my-tiny", model.name());
        assertEquals(spec, model.inputSpec());
        assertEquals(bundle.resolve("model.min.js").toString(), model.provenance().get("file"));
    }

    @Test
    void requiresExactlyOneLocationAndThePreprocessing() {
        dev.transferkit.core.MissingSettingException noPre = assertThrows(dev.transferkit.core.MissingSettingException.class,
                () -> TfjsSource.builder().setModelJson(dir.resolve("model.json")).build());
        assertTrue(noPre.getMessage().contains("setPreprocessing"), noPre.getMessage());
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> TfjsSource.builder().setPreprocessing(Preprocessing.UNIT).build());
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> TfjsSource.builder().setPreprocessing(Preprocessing.UNIT)
                .setModelJson(dir.resolve("model.json")).setBundle(dir).build());
        assertThrows(IllegalArgumentException.class, () -> TfjsSource.builder().optName(" "));
    }

    @Test
    void asksForAnInputSpecWhenTheModelHasNoImageInput() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        String text = TinyTfjsModel.modelJson("weights.bin", "float16", "ReLU", false)
                .replace("\"batch_input_shape\":[null,3,3,2]", "\"batch_input_shape\":[null,null,null,2]");
        Path json = Files.writeString(dir.resolve("model.json"), text);
        TfjsSource source = TfjsSource.builder().setModelJson(json).setPreprocessing(Preprocessing.UNIT).build();
        ModelLoadException e = assertThrows(ModelLoadException.class, source::load);
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("optInputSpec"), e.getMessage());
    }

    @Test
    void rejectsFeatureLayersTheModelDoesNotHave() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir);
        TfjsSource source = TfjsSource.builder().setModelJson(json).setPreprocessing(Preprocessing.UNIT)
                .optFeatureLayers(List.of("no_such_layer")).build();
        TransferKitException e = assertThrows(TransferKitException.class, source::load);
        assertTrue(e.getMessage().contains("no_such_layer"), e.getMessage());
    }
}
