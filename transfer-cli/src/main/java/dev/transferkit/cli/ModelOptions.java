package dev.transferkit.cli;

import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.ModelSource;
import picocli.CommandLine.Option;

/** The options that choose a pretrained network, shared by every command that loads one. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, defaultValue = ModelSpec.DEFAULT, paramLabel = "MODEL",
            description = "A built-in network (mobilenet_v2, inception_v3, vgg16, resnet50, ...), a model zip, or an ONNX"
                    + " file (.onnx). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--input-size", paramLabel = "H[xW]",
            description = "For an ONNX model whose graph leaves its input size open: 224, or 240x320 (height x width).")
    String inputSize;

    @Option(names = "--preprocessing", paramLabel = "NAME",
            description = "For an ONNX model: how its training images were preprocessed: torch (default; torchvision's"
                    + " ImageNet normalisation), caffe, tf or unit.")
    String preprocessing;

    /** @return where the chosen model comes from */
    ModelSource source() {
        return ModelSpec.parse(model, ModelSpec.inputSize(inputSize),
                preprocessing == null ? null : Preprocessing.preset(preprocessing));
    }
}
