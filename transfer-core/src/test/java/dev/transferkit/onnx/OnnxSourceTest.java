package dev.transferkit.onnx;

import dev.transferkit.engine.EngineReport;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.OnnxSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An ONNX file as a base model: its input size, its feature layers, and frozen passes on the file's own graph. */
class OnnxSourceTest {
    @TempDir
    Path dir;

    @Test
    void anOnnxFileBecomesABaseModelWhoseFrozenPassesRunTheFileItself() throws Exception {
        Path file = SmallOnnxModels.write(dir.resolve("tiny.onnx"), SmallOnnxModels.model(-1));
        OnnxModelException open = assertThrows(OnnxModelException.class, () -> OnnxSource.builder().setFile(file).build().load());
        assertTrue(open.getMessage().contains("leaves its input's height and width open ([-1, 3, -1, -1], -1: open); give them"
                + " with optInputSize (CLI: --input-size, e.g. 224)"), open.getMessage());

        BaseModel m = OnnxSource.builder().setFile(file).optInputSize(6, 6).build().read().setPreprocessing(Preprocessing.UNIT)
                .build();
        assertEquals("tiny", m.name());
        assertEquals(new InputSpec(6, 6, 3, DataFormat.NCHW), m.inputSpec());
        assertEquals("unit", m.preprocessing().name());
        assertEquals("flat", m.defaultFeatureLayer());
        assertEquals("onnx", m.provenance().get("source"));
        assertEquals("unit", m.provenance().get("preprocessing"), "the preprocessing set on the builder");
        assertTrue(m.labels().isEmpty(), "3 classes are not ImageNet's");

        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6);
        InferenceEngine engine = m.engine("relu").orElseThrow();
        assertTrue(engine.report().entries().stream().allMatch(e -> e.treatment() == EngineReport.Treatment.ONNX)
                && engine.report().entries().stream().anyMatch(e -> e.detail().equals("the model's own node")),
                "the engine runs the file's nodes: " + engine.report());
        INDArray fromFile = engine.output(x);
        INDArray fromDl4j = m.graph().feedForward(x, false).get("relu").dup('c');
        assertTrue(fromDl4j.equalsWithEps(fromFile, 1e-5), "the DL4J network computes what the file computes");
        assertTrue(m.output(x).equalsWithEps(m.graph().outputSingle(false, x), 1e-5));

        OnnxModelException fixed = assertThrows(OnnxModelException.class, () -> OnnxSource.builder()
                .setFile(SmallOnnxModels.write(dir.resolve("fixed.onnx"), SmallOnnxModels.model(4))).optInputSize(8, 8).build().load());
        assertTrue(fixed.getMessage().contains("cannot run on images shaped [-1, 3, 8, 8]"), fixed.getMessage());
        BaseModel fixedModel = OnnxSource.builder().setFile(dir.resolve("fixed.onnx")).build().load();
        assertEquals(List.of("flat", "relu", "pooled"), fixedModel.featureLayers().stream()
                .filter(l -> List.of("flat", "relu", "pooled").contains(l)).toList());
        assertEquals(Preprocessing.TORCH, fixedModel.preprocessing(), "the default for ONNX files");
        assertEquals("torch (default for ONNX models)", fixedModel.provenance().get("preprocessing"));
    }
}
