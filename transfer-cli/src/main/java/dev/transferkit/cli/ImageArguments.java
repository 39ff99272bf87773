package dev.transferkit.cli;

import dev.transferkit.image.ImagePaths;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** The images a command classifies: files or folders, searched recursively. */
final class ImageArguments {
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files or folders (searched recursively).")
    List<Path> inputs;

    /** @return the image files, folders expanded */
    List<Path> images() {
        return ImagePaths.expand(inputs);
    }
}
