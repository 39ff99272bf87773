package dev.transferkit.cli;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.Dl4jZipSource;
import dev.transferkit.model.ModelSource;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.model.OnnxSource;
import dev.transferkit.model.ZooArchitecture;
import dev.transferkit.model.ZooSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns the {@code --model} value of a command into a {@link ModelSource}: a built-in network name
 * ({@code mobilenet_v2} and {@code inception_v3} from nsfwjs, offline; the DL4J zoo's {@code vgg16}, {@code resnet50},
 * ..., downloaded on first use), the path of a model zip saved by TransferKit ({@code BaseModel.save}), or an ONNX file
 * ({@code .onnx}), which may need its input size and preprocessing.
 */
final class ModelSpec {
    /** The default network: the pretrained MobileNetV2 shipped in nsfwjs. */
    static final String DEFAULT = "mobilenet_v2";

    private ModelSpec() {
    }

    /**
     * @param spec a network name or a model file
     * @return where the model comes from (nothing is loaded yet)
     * @throws TransferKitException when the value is neither a known name nor an existing file
     */
    static ModelSource parse(String spec) {
        return parse(spec, null, null);
    }

    /**
     * @param spec          a network name or a model file
     * @param inputSize     for an ONNX file whose graph leaves it open: {@code {height, width}}, or null
     * @param preprocessing for an ONNX file: its preprocessing, set on the builder the source reads into; null for
     *                      torchvision's ImageNet normalisation
     * @return where the model comes from (nothing is loaded yet)
     * @throws TransferKitException when the value is neither a known name nor an existing file
     */
    static ModelSource parse(String spec, int[] inputSize, Preprocessing preprocessing) {
        String name = spec.strip().toLowerCase(Locale.ROOT);
        String bare = name.startsWith("nsfwjs-") ? name.substring("nsfwjs-".length())
                : name.startsWith("zoo:") ? name.substring("zoo:".length()) : name;
        for (NsfwjsSource.Network n : NsfwjsSource.Network.values()) {
            if (n.name().toLowerCase(Locale.ROOT).equals(bare)) {
                return NsfwjsSource.builder().setNetwork(n).build();
            }
        }
        for (ZooArchitecture z : ZooArchitecture.values()) {
            if (z.name().toLowerCase(Locale.ROOT).equals(bare)) {
                return ZooSource.builder().setArchitecture(z).build();
            }
        }
        Path file = Path.of(spec);
        if (Files.isRegularFile(file) && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            OnnxSource.Builder b = OnnxSource.builder().setFile(file);
            if (inputSize != null) {
                b.optInputSize(inputSize[0], inputSize[1]);
            }
            OnnxSource onnx = b.build();
            return preprocessing == null ? onnx : () -> onnx.read().setPreprocessing(preprocessing);
        }
        if (Files.isRegularFile(file)) {
            return Dl4jZipSource.of(file);
        }
        throw new TransferKitException("'" + spec + "' is neither a built-in network (" + String.join(", ", names())
                + ") nor an existing model file (a model zip or an .onnx file).");
    }

    /**
     * Parses an input size.
     *
     * @param size {@code 224} (square) or {@code 240x320} (height x width), or null
     * @return {@code {height, width}}, or null for null
     * @throws TransferKitException naming the value when it is not a size
     */
    static int[] inputSize(String size) {
        if (size == null) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})(?:[xX](\\d{1,5}))?").matcher(size.strip());
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || (m.group(2) != null && Integer.parseInt(m.group(2)) < 1)) {
            throw new TransferKitException("'" + size + "' is not an input size; give the height and width in pixels as"
                    + " 224 (square) or 240x320 (height x width).");
        }
        int h = Integer.parseInt(m.group(1));
        return new int[]{h, m.group(2) == null ? h : Integer.parseInt(m.group(2))};
    }

    /** @return the built-in network names */
    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (NsfwjsSource.Network n : NsfwjsSource.Network.values()) {
            names.add(n.name().toLowerCase(Locale.ROOT));
        }
        for (ZooArchitecture z : ZooArchitecture.values()) {
            names.add(z.name().toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
