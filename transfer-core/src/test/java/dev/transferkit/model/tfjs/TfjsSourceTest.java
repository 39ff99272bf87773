package dev.transferkit.model.tfjs;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
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
        TfjsSource source = TfjsSource.modelJson(json);
        assertTrue(source.toString().contains(json.toString()), source.toString());
        BaseModel model = source.read().setPreprocessing(Preprocessing.UNIT)
                .optLabels(List.of("a", "b", "c")).optFeatureLayers(List.of("flat", "relu")).build();
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
        BaseModel model = TfjsSource.bundle(bundle).read().setPreprocessing(Preprocessing.TF)
                .setInputSpec(spec).setName("my-tiny").build();
        assertEquals("my-tiny", model.name());
        assertEquals(spec, model.inputSpec());
        assertEquals(bundle.resolve("model.min.js").toString(), model.provenance().get("file"));
    }

    @Test
    void requiresALocationAndThePreprocessing() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir.resolve("tiny"));
        MissingSettingException noPre = assertThrows(MissingSettingException.class, () -> TfjsSource.modelJson(json).load());
        assertTrue(noPre.getMessage().contains("call setPreprocessing") && noPre.getMessage().contains(json.toString())
                && noPre.getMessage().contains("does not record the preprocessing"), noPre.getMessage());
        NullPointerException noPath = assertThrows(NullPointerException.class, () -> TfjsSource.modelJson(null));
        assertTrue(noPath.getMessage().contains("needs the path of a model.json"), noPath.getMessage());
        assertThrows(NullPointerException.class, () -> TfjsSource.bundle(null));
        MissingSettingException blank = assertThrows(MissingSettingException.class,
                () -> TfjsSource.modelJson(json).read().setPreprocessing(Preprocessing.UNIT).setName(" ").build());
        assertTrue(blank.getMessage().contains("call setName"), blank.getMessage());
    }

    @Test
    void asksForAnInputSpecWhenTheModelHasNoImageInput() throws IOException {
        Files.write(dir.resolve("weights.bin"), TinyTfjsModel.shard());
        String text = TinyTfjsModel.modelJson("weights.bin", "float16", "ReLU", false)
                .replace("\"batch_input_shape\":[null,3,3,2]", "\"batch_input_shape\":[null,null,null,2]");
        Path json = Files.writeString(dir.resolve("model.json"), text);
        BaseModel.Builder read = TfjsSource.modelJson(json).read().setPreprocessing(Preprocessing.UNIT);
        MissingSettingException e = assertThrows(MissingSettingException.class, read::build);
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("call setInputSpec")
                && e.getMessage().contains("batch_input_shape"), e.getMessage());
        assertEquals(new InputSpec(3, 3, 2, DataFormat.NHWC), read.setInputSpec(new InputSpec(3, 3, 2, DataFormat.NHWC))
                .build().inputSpec());
    }

    @Test
    void rejectsFeatureLayersTheModelDoesNotHave() throws IOException {
        Path json = TinyTfjsModel.writeFiles(dir);
        BaseModel.Builder read = TfjsSource.modelJson(json).read().setPreprocessing(Preprocessing.UNIT)
                .optFeatureLayers(List.of("no_such_layer"));
        TransferKitException e = assertThrows(TransferKitException.class, read::build);
        assertTrue(e.getMessage().contains("no_such_layer"), e.getMessage());
    }
}
