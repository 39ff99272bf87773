package dev.transferkit.model;

import dev.transferkit.core.TransferKitException;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BaseModelTest {
    private static final List<String> LABELS = List.of("cat", "dog", "fish");

    @Test
    void saveAndLoadKeepNetworkAndMetadata(@TempDir Path dir) throws Exception {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        Path file = dir.resolve("tiny.zip");
        model.save(file);
        BaseModel back = BaseModel.load(file);
        assertEquals(model.name(), back.name());
        assertEquals(model.inputSpec(), back.inputSpec());
        assertEquals(model.preprocessing(), back.preprocessing());
        assertEquals(model.featureLayers(), back.featureLayers());
        assertEquals(model.labels(), back.labels());
        assertEquals(model.provenance(), back.provenance());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 16, 16);
        assertEquals(model.output(x), back.output(x), "bit-identical output after reload");
        try (var s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temporary files are left behind");
        }
    }

    @Test
    void topKSortsAndNamesClasses() {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        List<List<Prediction>> top = model.topK(Nd4j.create(new float[][]{{0.2f, 0.7f, 0.1f}, {0.5f, 0.1f, 0.4f}}), 2);
        assertEquals(List.of("dog", "cat"), top.get(0).stream().map(Prediction::label).toList());
        assertEquals(List.of("cat", "fish"), top.get(1).stream().map(Prediction::label).toList());
        assertEquals(0.7, top.get(0).get(0).probability(), 1e-6);
        assertEquals(3, model.topK(Nd4j.create(new float[][]{{0.2f, 0.7f, 0.1f}}), 10).get(0).size());
        assertThrows(IllegalArgumentException.class, () -> model.topK(Nd4j.create(new float[][]{{1f, 0f, 0f}}), 0));
        TransferKitException e = assertThrows(TransferKitException.class, () -> model.topK(Nd4j.create(new float[][]{{1f, 0f}}), 1));
        assertTrue(e.getMessage().contains("3 label names but its output has 2 classes"), e.getMessage());
    }

    @Test
    void classifyGivesTheImagesKBestClassesAsOneClassification(@TempDir Path dir) throws Exception {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        Path file = dev.transferkit.image.TestImages.gradient(dir.resolve("image.png"), 16, 16, 0x102030);
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(file.toFile());
        List<Prediction> expected = model.topK(model.output(model.pipeline(dev.transferkit.image.ImageOptions.defaults()).load(file)), 2).get(0);

        Classification fromFile = model.classify(file, 2);
        assertEquals(file, fromFile.image());
        assertEquals(expected, fromFile.ranked());
        assertTrue(fromFile.probabilistic());
        assertEquals(expected.get(0).label(), fromFile.label());
        assertEquals(expected.get(0).probability(), fromFile.score());
        Classification inMemory = model.classify(image, 3);
        org.junit.jupiter.api.Assertions.assertNull(inMemory.image());
        assertEquals(3, inMemory.ranked().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Classification(file, List.of(), true));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void unknownLayersAreNamedWithTheAlternatives() {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        TransferKitException e = assertThrows(TransferKitException.class, () -> model.requireLayer("block5_pool"));
        assertTrue(e.getMessage().contains("'tiny-convnet' has no layer named 'block5_pool'"), e.getMessage());
        assertTrue(e.getMessage().contains("conv1"), e.getMessage());
        assertThrows(TransferKitException.class, () -> BaseModel.builder().setName("x").setGraph(model.graph())
                .setInputSpec(model.inputSpec()).setPreprocessing(model.preprocessing()).optFeatureLayers(List.of("nope")).build());
        assertEquals("conv2", model.defaultFeatureLayer());
        assertTrue(model.toString().contains("featureLayers=[conv2, conv1]"), model.toString());
    }

    @Test
    void toBuilderDerivesAModelThatDiffersOnlyWhereAsked() {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        BaseModel other = model.toBuilder().optFeatureLayers(List.of("conv1")).build();
        assertEquals("conv1", other.defaultFeatureLayer());
        assertEquals("conv2", model.defaultFeatureLayer(), "the original is unchanged");
        assertSame(model.graph(), other.graph());
        assertEquals(model.name(), other.name());
        assertEquals(model.labels(), other.labels());
        assertEquals(model.inputSpec(), other.inputSpec());
        assertEquals(model.preprocessing(), other.preprocessing());
        assertEquals(model.provenance(), other.provenance());
    }

    @Test
    void aProvenanceEntryAddsToTheRecordedOnesWithoutChangingTheOriginal() {
        BaseModel model = TinyNetworks.baseModel(LABELS);
        BaseModel other = model.toBuilder().optProvenance("licence", "MIT").optProvenance("seed", "7").build();
        assertEquals("MIT", other.provenance().get("licence"));
        assertEquals("7", other.provenance().get("seed"), "an entry of the same key is replaced");
        assertEquals("test", other.provenance().get("source"), "the other entries stay");
        assertEquals(Map.of("source", "test", "seed", "12345"), model.provenance(), "the original is unchanged");
    }

    @Test
    void brokenFilesGetErrorsNamingThem(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.zip");
        assertMessage(() -> BaseModel.load(missing), missing + " does not exist");

        Path text = Files.writeString(dir.resolve("text.zip"), "this is not a zip");
        assertMessage(() -> BaseModel.load(text), text + " is not a readable model zip");

        Path good = dir.resolve("good.zip");
        TinyNetworks.baseModel(LABELS).save(good);
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = Files.write(dir.resolve("truncated.zip"), Arrays.copyOf(bytes, bytes.length / 2));
        assertMessage(() -> BaseModel.load(truncated), truncated.toString());

        Path plain = dir.resolve("plain.zip");
        ModelSerializer.writeModel(TinyNetworks.convNet(3, 1), plain.toFile(), false);
        assertMessage(() -> BaseModel.load(plain), plain + " is a zip but carries no TransferKit metadata");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        ModelLoadException ex = assertThrows(ModelLoadException.class, e);
        assertTrue(ex.getMessage().contains(part), "message was: " + ex.getMessage());
        assertFalse(ex.getMessage().isBlank());
    }
}
