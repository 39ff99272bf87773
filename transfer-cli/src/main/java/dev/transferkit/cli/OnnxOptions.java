package dev.transferkit.cli;

import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.ModelSource;
import picocli.CommandLine.Option;

/** What an ONNX file may not say about itself: its input size and its preprocessing. */
final class OnnxOptions {
    @Option(names = "--input-size", paramLabel = "H[xW]",
            description = "For an ONNX model whose graph leaves its input size open: 224, or 240x320 (height x width).")
    String inputSize;

    @Option(names = "--preprocessing", paramLabel = "NAME",
            description = "For an ONNX model: how its training images were preprocessed: torch (default; torchvision's"
                    + " ImageNet normalisation), caffe, tf or unit.")
    String preprocessing;

    /**
     * @param model a network name or a model file
     * @return where that model comes from, with these options applied to an ONNX file
     */
    ModelSource source(String model) {
        return ModelSpec.parse(model, ModelSpec.inputSize(inputSize),
                preprocessing == null ? null : Preprocessing.preset(preprocessing));
    }
}
