package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitHome;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.FileTrees;
import dev.transferkit.io.NpmPackages;
import dev.transferkit.io.SafeArchives;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The pretrained networks bundled in the npm package {@code nsfwjs} 4.4.0 (MIT licence): a MobileNetV2 and an
 * InceptionV3 whose ImageNet backbones were fine-tuned to five classes ({@link #LABELS}). They are the pretrained
 * CNN weights TransferKit can obtain from a package registry alone.
 *
 * <p>The first {@link #read()} obtains the package tarball through {@link NpmPackages} (verified against
 * {@link #INTEGRITY}), extracts only {@code package/dist/models/<network>/} with {@link SafeArchives}, converts the
 * TF.js layers model with {@link TfjsSource}, and saves the result once as a model zip at {@link #cachedModel()}.
 * Later loads restore that zip directly. Inputs are RGB scaled to [0, 1] ({@link Preprocessing#UNIT}, as
 * {@code dist/esm/core.js} of the package divides pixels by 255), NHWC.
 */
public final class NsfwjsSource implements ModelSource {
    /** The npm package name. */
    public static final String PACKAGE = "nsfwjs";
    /** The pinned package version. */
    public static final String VERSION = "4.4.0";
    /** The npm integrity of {@code nsfwjs-4.4.0.tgz}, as the registry publishes it. */
    public static final String INTEGRITY =
            "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==";
    /** The class names of both networks' output, in order ({@code dist/esm/nsfw_classes.js}). */
    public static final List<String> LABELS = List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy");

    private static final Logger LOG = LoggerFactory.getLogger(NsfwjsSource.class);

    /** The networks of the package. */
    public enum Network {
        /**
         * MobileNetV2 (alpha 1.0), 224x224; uint8-quantised weights. Feature layers: {@code block_13_expand_relu}
         * (14x14x576, the recommended default: {@code LayerProbe} chose it among 11 candidates, every block output
         * from {@code block_8_add} to {@code out_relu}, on both the emoji and the Fashion-MNIST sets, and with logistic
         * regression on average-pooled features it scored 2 to 15 points of balanced accuracy above {@code out_relu}
         * on four labelled image sets this project had not tuned on; see docs/CHOOSING-A-LAYER.md), {@code out_relu}
         * (7x7x1280), {@code flatten_1} (the 7x7 average pool flattened, 1280), {@code block_16_project_BN} (7x7x320).
         */
        MOBILENET_V2("mobilenet_v2", 224, List.of("block_13_expand_relu", "out_relu", "flatten_1", "block_16_project_BN")),
        /**
         * InceptionV3, 299x299; uint8-quantised weights. Feature layers: {@code mixed6} (17x17x768, the recommended
         * default: {@code LayerProbe} chose it on the emoji set among {@code mixed4} to {@code mixed10}, and it was
         * 0.2 points of cross-validated balanced accuracy from the best on Fashion-MNIST, where {@code mixed10} was 10
         * points behind; see docs/CHOOSING-A-LAYER.md), {@code mixed7} (17x17x768), {@code mixed5} (17x17x768),
         * {@code mixed9} (8x8x2048), {@code mixed10} (8x8x2048, the classifier's input), {@code flatten_1} (the 8x8
         * average pool of {@code mixed10} flattened, 2048).
         */
        INCEPTION_V3("inception_v3", 299, List.of("mixed6", "mixed7", "mixed5", "mixed9", "mixed10", "flatten_1"));

        private final String directory;
        private final int size;
        private final List<String> featureLayers;

        Network(String directory, int size, List<String> featureLayers) {
            this.directory = directory;
            this.size = size;
            this.featureLayers = featureLayers;
        }

        /** @return the model directory inside the package, under {@code dist/models/} */
        public String directory() {
            return directory;
        }

        /** @return the input the network expects */
        public InputSpec inputSpec() {
            return new InputSpec(size, size, 3, DataFormat.NHWC);
        }

        /** @return the useful feature layers, the recommended default first */
        public List<String> featureLayers() {
            return featureLayers;
        }
    }

    private final Network network;
    private final Path cacheDir;
    private final NpmPackages npm;

    private NsfwjsSource(Builder b) {
        this.network = b.network;
        this.cacheDir = b.cacheDir.toAbsolutePath();
        this.npm = b.npm != null ? b.npm : NpmPackages.builder().optCacheDir(cacheDir.resolve("npm")).build();
    }

    /**
     * Returns the MobileNetV2 network, cached under {@link TransferKitHome}.
     *
     * @return the source
     */
    public static NsfwjsSource mobileNetV2() {
        return builder().setNetwork(Network.MOBILENET_V2).build();
    }

    /**
     * Returns the InceptionV3 network, cached under {@link TransferKitHome}.
     *
     * @return the source
     */
    public static NsfwjsSource inceptionV3() {
        return builder().setNetwork(Network.INCEPTION_V3).build();
    }

    /**
     * Starts a builder: {@code setNetwork} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the network this source loads */
    public Network network() {
        return network;
    }

    /** @return where the converted model is cached: {@code <cacheDir>/models/nsfwjs-4.4.0-<network>.zip} */
    public Path cachedModel() {
        return cacheDir.resolve("models").resolve(PACKAGE + "-" + VERSION + "-" + network.directory() + ".zip");
    }

    /**
     * Reads the network, converting and caching it on first use.
     *
     * @return a builder holding the whole model: named {@code nsfwjs-<network>}, with its input spec, preprocessing,
     *         feature layers, {@link #LABELS} and provenance
     * @throws ModelLoadException naming the file when the cached zip is unreadable or the conversion fails
     * @throws dev.transferkit.io.NpmPackageException when the package cannot be obtained
     */
    @Override
    public BaseModel.Builder read() {
        Path zip = cachedModel();
        if (Files.isRegularFile(zip)) {
            LOG.debug("Loading the converted {} from {}", network, zip);
            try {
                // The cache holds the converted network; the recommended feature layers are this source's own, so a
                // model converted by an earlier version gets today's recommendation.
                return ModelArchive.read(zip).toBuilder().optFeatureLayers(network.featureLayers());
            } catch (ModelLoadException e) {
                throw new ModelLoadException("The cached converted model " + zip + " cannot be read: " + e.getMessage()
                        + " Delete it to convert " + PACKAGE + " " + VERSION + " again.", e);
            }
        }
        Path tarball = npm.pack(PACKAGE, VERSION, INTEGRITY);
        String prefix = "package/dist/models/" + network.directory() + "/";
        Path work = null;
        try {
            Files.createDirectories(zip.getParent());
            work = Files.createTempDirectory(zip.getParent(), "." + PACKAGE + "-" + network.directory() + "-");
            Path extracted = work.resolve("package");
            SafeArchives.extract(tarball, extracted, name -> name.startsWith(prefix));
            Path bundle = extracted.resolve(prefix);
            if (!Files.isRegularFile(bundle.resolve("model.min.js"))) {
                throw new ModelLoadException("The npm package " + tarball + " has no " + prefix + "model.min.js.");
            }
            BaseModel model = TfjsSource.bundle(bundle).read()
                    .setName(PACKAGE + "-" + network.directory())
                    .setInputSpec(network.inputSpec())
                    .setPreprocessing(Preprocessing.UNIT)
                    .optLabels(LABELS)
                    .optFeatureLayers(network.featureLayers())
                    .optProvenance("source", "npm")
                    .optProvenance("package", PACKAGE)
                    .optProvenance("version", VERSION)
                    .optProvenance("integrity", INTEGRITY)
                    .optProvenance("licence", "MIT")
                    .optProvenance("modelDir", prefix.substring(0, prefix.length() - 1))
                    .optProvenance("file", prefix + "model.min.js")
                    .optProvenance("conversion", "TF.js layers model imported with DL4J's Keras import by TransferKit")
                    .build();
            model.save(zip);
            LOG.info("Converted {} {} {} and cached it at {}", PACKAGE, VERSION, network.directory(), zip);
            return model.toBuilder();
        } catch (IOException e) {
            throw new ModelLoadException("Could not prepare the directory " + zip.getParent() + " to convert "
                    + PACKAGE + " " + network.directory() + ": " + e.getMessage(), e);
        } finally {
            if (work != null) {
                try {
                    FileTrees.deleteRecursively(work);
                } catch (IOException e) {
                    LOG.warn("Could not remove the temporary directory {}: {}", work, e.toString());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "NsfwjsSource(network=" + network + ", package=" + PACKAGE + "@" + VERSION + ", cachedModel="
                + cachedModel() + ", npm=" + npm + ")";
    }

    /** Builder for {@link NsfwjsSource}. */
    public static final class Builder {
        private Network network;
        private Path cacheDir = TransferKitHome.root();
        private NpmPackages npm;

        private Builder() {
        }

        /**
         * @param network which network of the package to load
         * @return this builder
         */
        public Builder setNetwork(Network network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /**
         * @param cacheDir the cache root: the tarball goes to {@code <cacheDir>/npm}, the converted model to
         *                 {@code <cacheDir>/models}; default {@link TransferKitHome#root()}
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /**
         * @param npm how to obtain the package tarball (npm command, timeout, tarball cache); default: npm on the
         *            path with the tarball cached under {@code <cacheDir>/npm}
         * @return this builder
         */
        public Builder optNpmPackages(NpmPackages npm) {
            this.npm = Objects.requireNonNull(npm, "npm");
            return this;
        }

        /**
         * @return the source
         * @throws MissingSettingException when no network was chosen
         */
        public NsfwjsSource build() {
            if (network == null) {
                throw new MissingSettingException("An NsfwjsSource needs a network: call setNetwork.");
            }
            return new NsfwjsSource(this);
        }
    }
}
