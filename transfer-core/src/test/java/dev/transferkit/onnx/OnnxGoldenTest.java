package dev.transferkit.onnx;

import onnx.Onnx;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Imports torchvision CNNs with random weights (BatchNorm statistics randomised too), exported to ONNX by PyTorch, and
 * compares both of TransferKit's ways of running them, the file itself in ONNX Runtime (frozen passes) and the DL4J
 * graph it is mapped onto (fine-tuning), with PyTorch's outputs on the same two input images: the final logits and an
 * intermediate tensor ("feature", a module output renamed at export and read by later nodes). Tolerance, per
 * element: {@code |dl4j - torch| <= 1e-4 + 1e-4 * |torch|} (float32).
 * <p>
 * The specs vary the opset (11 to 17) and whether BatchNormalization stays in the graph ("preserve") or is folded into
 * the convolutions ("eval", what users get by default). Skipped, saying why, where python3-torch is absent.
 */
class OnnxGoldenTest {
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-4;
    private static final List<String> SPECS = List.of(
            "resnet18:64:11:eval:layer2",
            "mobilenet_v2:64:13:preserve:features.6",
            "mobilenet_v3_large:64:14:preserve:features.5",
            "efficientnet_b0:64:17:eval:features.4",
            "densenet121:64:12:preserve:features.denseblock2",
            "inception_v3:75:15:eval:Mixed_5d",
            "vgg16:224:13:eval:features.23");

    @TempDir
    static Path dir;
    private static String unavailable;

    @BeforeAll
    static void export() throws Exception {
        unavailable = TorchGoldens.unavailableReason();
        if (unavailable == null) {
            long start = System.nanoTime();
            TorchGoldens.export(dir, SPECS);
            System.out.printf("Exported %d torchvision models in %.1f s%n", SPECS.size(), (System.nanoTime() - start) / 1e9);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "densenet121",
            "inception_v3", "vgg16"})
    void matchesPyTorch(String name) throws Exception {
        assumeTrue(unavailable == null, unavailable);
        Map<String, INDArray> golden = TorchGoldens.arrays(dir, name);
        INDArray input = golden.get("input");
        long start = System.nanoTime();
        OnnxModel file = OnnxModel.read(dir.resolve(name + ".onnx"));
        ComputationGraph net = OnnxGraphImporter.importGraph(file.proto(), (int) input.size(1), (int) input.size(2), (int) input.size(3));
        long imported = System.nanoTime();
        assertEquals(List.of("output", "feature"), net.getConfiguration().getNetworkOutputs());
        assertEquals(List.of("input"), net.getConfiguration().getNetworkInputs());
        INDArray[] out = net.output(false, input);
        double outDiff = assertClose(name + " output", golden.get("output"), out[0]);
        double featureDiff = assertClose(name + " feature", golden.get("feature"), out[1]);
        // The frozen path runs the file itself in ONNX Runtime; it must match PyTorch too (InceptionV3's Pad + AveragePool
        // caught ONNX Runtime 1.20's pad fusion).
        assertTrue(OnnxLayers.candidates(file).size() > 3, "block outputs are offered as feature layers: " + OnnxLayers.candidates(file));
        try (InferenceEngine engine = InferenceEngine.compile(file, List.of("output", "feature"), new InputSpec((int) input.size(2),
                (int) input.size(3), (int) input.size(1), DataFormat.NCHW), EngineOptions.defaults())) {
            Map<String, INDArray> ort = engine.outputs(input);
            assertClose(name + " output in ONNX Runtime", golden.get("output"), ort.get("output"));
            assertClose(name + " feature in ONNX Runtime", golden.get("feature"), ort.get("feature"));
        }
        System.out.printf("%s: output max |diff| %.2e (max |value| %.2f), feature %s max |diff| %.2e (max |value| %.2f)"
                        + " (import %.1f s, forward %.1f s)%n", name, outDiff, golden.get("output").amaxNumber().doubleValue(),
                java.util.Arrays.toString(out[1].shape()), featureDiff, golden.get("feature").amaxNumber().doubleValue(),
                (imported - start) / 1e9,
                (System.nanoTime() - imported) / 1e9);
    }

    private static double assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        INDArray diff = expected.sub(actual);
        INDArray excess = org.nd4j.linalg.ops.transforms.Transforms.abs(diff)
                .subi(org.nd4j.linalg.ops.transforms.Transforms.abs(expected).muli(RTOL).addi(ATOL));
        double maxDiff = diff.amaxNumber().doubleValue();
        assertTrue(excess.maxNumber().doubleValue() <= 0, what + ": max |diff| " + maxDiff
                + " exceeds 1e-4 + 1e-4 * |expected| (largest |expected| " + expected.amaxNumber() + ")");
        return maxDiff;
    }
}
