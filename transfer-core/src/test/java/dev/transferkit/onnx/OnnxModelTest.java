package dev.transferkit.onnx;

import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import onnx.Onnx;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading ONNX files: what a model offers, running cuts of it, and a clear refusal of every kind of bad file. */
class OnnxModelTest {
    @TempDir
    Path dir;

    @Test
    void aModelOffersItsTensorsAndRunsCutAtAnyOfThem() throws Exception {
        OnnxModel m = OnnxModel.read(SmallOnnxModels.write(dir.resolve("tiny.onnx"), SmallOnnxModels.model(-1)));
        assertEquals("image", m.inputName());
        assertArrayEquals(new long[]{-1, 3, -1, -1}, m.inputShape());
        assertEquals(List.of("conv", "relu", "pooled", "flat", "logits"), m.tensorNames());
        assertEquals(13, m.opset());
        assertEquals(List.of("flat", "relu", "pooled"), OnnxLayers.candidates(m), "the pooled vector first, then modules");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 5, 5).subi(0.5);
        try (InferenceEngine e = InferenceEngine.compile(m, List.of("relu", "logits"), new InputSpec(5, 5, 3, DataFormat.NCHW),
                EngineOptions.defaults())) {
            Map<String, INDArray> out = e.outputs(x);
            INDArray w = Nd4j.create(SmallOnnxModels.CONV, new long[]{2, 3}, 'c');
            INDArray relu = Nd4j.create(DataType.FLOAT, 2, 2, 5, 5);
            for (int c = 0; c < 2; c++) {
                INDArray sum = Nd4j.zeros(DataType.FLOAT, 2, 5, 5);
                for (int k = 0; k < 3; k++) {
                    sum.addi(x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(k))
                            .mul(w.getFloat(c, k)));
                }
                relu.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(c))
                        .assign(org.nd4j.linalg.ops.transforms.Transforms.relu(sum));
            }
            assertTrue(relu.equalsWithEps(out.get("relu"), 1e-5), "the cut computes the model's own convolution");
            INDArray logits = relu.mean(2, 3).mmul(Nd4j.create(SmallOnnxModels.GEMM, new long[]{3, 2}, 'c').transpose());
            assertTrue(logits.equalsWithEps(out.get("logits"), 1e-5));
        }
        OnnxModelException missing = assertThrows(OnnxModelException.class, () -> m.requireTensor("block_13"));
        assertTrue(missing.getMessage().contains("has no tensor 'block_13'") && missing.getMessage().contains("logits"),
                missing.getMessage());
    }

    @Test
    void weightsInAnExternalFileAreReadFromTheModelsDirectoryOnly() throws Exception {
        Onnx.ModelProto.Builder b = SmallOnnxModels.model(4);
        Onnx.TensorProto conv = b.getGraph().getInitializer(0);
        Files.write(dir.resolve("weights.bin"), conv.getRawData().toByteArray());
        b.getGraphBuilder().setInitializer(0, conv.toBuilder().clearRawData()
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin")));
        OnnxModel m = OnnxModel.read(SmallOnnxModels.write(dir.resolve("external.onnx"), b));
        assertEquals(conv.getRawData(), m.proto().getGraph().getInitializer(0).getRawData());

        Files.delete(dir.resolve("weights.bin"));
        OnnxModelException gone = assertThrows(OnnxModelException.class, () -> OnnxModel.read(dir.resolve("external.onnx")));
        assertTrue(gone.getMessage().contains("keeps the weight 'conv.w' in " + dir.resolve("weights.bin") + ", which does not exist"),
                gone.getMessage());

        b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder().clearExternalData()
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue("../secret.bin")));
        OnnxModelException outside = assertThrows(OnnxModelException.class,
                () -> OnnxModel.read(SmallOnnxModels.write(dir.resolve("escape.onnx"), b)));
        assertTrue(outside.getMessage().contains("'../secret.bin', outside the model's directory"), outside.getMessage());
    }

    @Test
    void hostileFilesAreRefusedByName() throws Exception {
        byte[] good = SmallOnnxModels.model(4).build().toByteArray();
        Path truncated = Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(good, good.length / 2));
        assertMessage(truncated, "is not a readable ONNX model: it is truncated or in another format");

        Path jpeg = Files.write(dir.resolve("photo.onnx"), new byte[]{(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16,
                'J', 'F', 'I', 'F', 0});
        assertMessage(jpeg, "photo.onnx");

        Path text = Files.writeString(dir.resolve("notes.onnx"), "this is not a model\n");
        assertMessage(text, "notes.onnx");

        assertMessage(dir.resolve("absent.onnx"), "The ONNX model " + dir.resolve("absent.onnx") + " does not exist.");

        Onnx.ModelProto.Builder twoInputs = SmallOnnxModels.model(4);
        twoInputs.getGraphBuilder().addInput(SmallOnnxModels.input("mask", 4));
        assertMessage(SmallOnnxModels.write(dir.resolve("two.onnx"), twoInputs), "has 2 inputs [image, mask], but TransferKit feeds"
                + " a model one image tensor");

        OnnxModel fixed = OnnxModel.read(SmallOnnxModels.write(dir.resolve("fixed.onnx"), SmallOnnxModels.model(4)));
        OnnxModelException size = assertThrows(OnnxModelException.class, () -> InferenceEngine.compile(fixed, List.of("logits"),
                new InputSpec(8, 8, 3, DataFormat.NCHW), EngineOptions.defaults()));
        assertTrue(size.getMessage().contains("takes its input 'image' shaped [-1, 3, 4, 4] (-1: any size), so it cannot run"
                + " on images shaped [-1, 3, 8, 8]"), size.getMessage());
    }

    private static void assertMessage(Path file, String expected) {
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
