package dev.transferkit.cli;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.model.Dl4jZipSource;
import dev.transferkit.model.ModelSource;
import dev.transferkit.model.NsfwjsSource;
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
 * ..., downloaded on first use), or the path of a model zip saved by TransferKit ({@code BaseModel.save}).
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
        if (Files.isRegularFile(file)) {
            return Dl4jZipSource.builder().setFile(file).build();
        }
        throw new TransferKitException("'" + spec + "' is neither a built-in network (" + String.join(", ", names())
                + ") nor an existing model file.");
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
