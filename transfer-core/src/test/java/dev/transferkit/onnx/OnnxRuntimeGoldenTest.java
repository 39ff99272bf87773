package dev.transferkit.onnx;

import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seven torchvision architectures with random weights, exported by PyTorch, run in ONNX Runtime through
 * {@link InferenceEngine#compile(OnnxModel, List, InputSpec, EngineOptions)} and match PyTorch at the final output and
 * at a block inside, which {@link OnnxLayers} offers as a feature layer.
 */
class OnnxRuntimeGoldenTest {

    @ParameterizedTest
    @CsvSource({
            "resnet50, 64, layer3.5",
            "vgg16, 224, features.23",
            "mobilenet_v2, 64, features.13",
            "inception_v3, 299, Mixed_6e",
            "densenet121, 64, features.denseblock3",
            "efficientnet_b0, 64, features.5",
            "mobilenet_v3_large, 64, features.12"})
    void importedNetworksMatchPyTorch(String name, int size, String module) throws Exception {
        TorchGolden g = TorchGolden.of(name, size, module);
        OnnxModel model = OnnxModel.read(g.model());
        assertTrue(OnnxLayers.candidates(model).contains(g.tensor()),
                g.tensor() + " should be a declared feature layer of " + name + ": " + OnnxLayers.candidates(model));
        String output = model.outputNames().get(0);
        try (InferenceEngine engine = InferenceEngine.compile(model, List.of(g.tensor(), output),
                new InputSpec(size, size, 3, DataFormat.NCHW), EngineOptions.defaults())) {
            Map<String, INDArray> out = engine.outputs(g.input());
            double inter = TorchGolden.difference(g.inter(), out.get(g.tensor()));
            double fin = TorchGolden.difference(g.output(), out.get(output));
            System.out.printf("%s: max difference to PyTorch %.2e at %s, %.2e at the output%n", name, inter, g.tensor(), fin);
            assertTrue(inter < 1e-4, name + " at " + g.tensor() + ": " + inter);
            assertTrue(fin < 1e-4, name + " at the output: " + fin);
        }
    }
}
