package dev.transferkit.cli;

import dev.transferkit.model.ModelSource;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options that choose a pretrained network, shared by every command that loads one. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, defaultValue = ModelSpec.DEFAULT, paramLabel = "MODEL",
            description = "A built-in network (mobilenet_v2, inception_v3, vgg16, resnet50, ...), a model zip, or an ONNX"
                    + " file (.onnx). Default: ${DEFAULT-VALUE}.")
    String model;

    @Mixin
    OnnxOptions onnx;

    /** @return where the chosen model comes from */
    ModelSource source() {
        return onnx.source(model);
    }
}
