package dev.transferkit.examples;

import dev.transferkit.examples.data.DarknetPhotos;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.Classification;
import dev.transferkit.model.ModelLoadException;
import dev.transferkit.model.ModelSource;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.model.ZooArchitecture;
import dev.transferkit.model.ZooSource;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Classifies photos with a pretrained network's own head and prints the top-3 labels.
 *
 * <p>It first tries a DL4J zoo network with ImageNet weights and ImageNet's 1000 classes (SqueezeNet by default, a
 * 5 MB download; {@code --zoo vgg16} for VGG16, 528 MB), which needs internet access the first time. When the
 * weights cannot be obtained it says why and falls back to the embedded default network: the pretrained MobileNetV2
 * of the npm package nsfwjs@4.4.0, whose head knows five classes (Drawing, Hentai, Neutral, Porn, Sexy).
 * {@code --offline} skips the zoo.
 *
 * <p>Usage: {@code ClassifyExample [--zoo NAME | --offline] [image ...]}. Without images it classifies the
 * public-domain test photos of Debian's {@code darknet} package (obtained with apt-get download).
 */
public final class ClassifyExample {
    /** The zoo network tried first. */
    static final ZooArchitecture DEFAULT_ZOO = ZooArchitecture.SQUEEZENET;

    private ClassifyExample() {
    }

    /**
     * Runs the example.
     *
     * @param args {@code [--zoo NAME | --offline] [image ...]}
     */
    public static void main(String[] args) {
        List<String> rest = new ArrayList<>(List.of(args));
        ModelSource zoo = ZooSource.builder().setArchitecture(DEFAULT_ZOO).build();
        if (rest.remove("--offline")) {
            zoo = null;
        }
        int at = rest.indexOf("--zoo");
        if (at >= 0) {
            if (at + 1 >= rest.size()) {
                throw new IllegalArgumentException("--zoo needs a network name, one of " + List.of(ZooArchitecture.values()) + ".");
            }
            zoo = ZooSource.builder().setArchitecture(zooArchitecture(rest.get(at + 1))).build();
            rest.subList(at, at + 2).clear();
        }
        List<Path> images = rest.isEmpty() ? DarknetPhotos.defaults().photos() : rest.stream().map(Path::of).toList();
        run(images, zoo, NsfwjsSource.mobileNetV2(), 3, System.out);
    }

    private static ZooArchitecture zooArchitecture(String name) {
        try {
            return ZooArchitecture.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + name + "' is not a DL4J zoo network TransferKit knows; use one of "
                    + List.of(ZooArchitecture.values()) + ".", e);
        }
    }

    /**
     * Loads the preferred network, or the fallback when the preferred one cannot be loaded, and classifies the images.
     *
     * @param images    the image files
     * @param preferred the network to try first (a zoo network), or {@code null} to use the fallback directly
     * @param fallback  the network used when the preferred one cannot be loaded
     * @param k         how many classes to print per image
     * @param out       where the results go
     * @return which network classified and what it said
     */
    public static Result run(List<Path> images, ModelSource preferred, ModelSource fallback, int k, PrintStream out) {
        BaseModel model = null;
        if (preferred != null) {
            try {
                model = preferred.load();
            } catch (ModelLoadException e) {
                out.println("Could not load the preferred network: " + e.getMessage());
            }
        }
        boolean fellBack = model == null;
        if (fellBack) {
            model = fallback.load();
            out.println((preferred == null ? "Using" : "Falling back to") + " the network " + model.name() + ", whose head knows "
                    + model.labels().size() + " classes " + model.labels() + (preferred == null ? "." : ", not the zoo network's."));
        } else {
            out.println("Using the network " + model.name() + " with " + model.labels().size() + " classes.");
        }
        int width = images.stream().mapToInt(p -> p.getFileName().toString().length()).max().orElse(4) + 1;
        List<Classification> all = new ArrayList<>();
        for (Path image : images) {
            Classification top = model.classify(image, k);
            all.add(top);
            out.printf(Locale.ROOT, "%-" + width + "s %s%n", image.getFileName(), top.ranked());
        }
        return new Result(model.name(), fellBack, all);
    }

    /**
     * What {@link #run} did.
     *
     * @param modelName   the network that classified
     * @param fellBack    true when the preferred network could not be loaded
     * @param predictions the top classes of each image, in image order
     */
    public record Result(String modelName, boolean fellBack, List<Classification> predictions) {
    }
}
