package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitHome;
import dev.transferkit.io.Checksum;
import dev.transferkit.io.DownloadException;
import dev.transferkit.io.Downloader;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.config.DL4JSystemProperties;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Loads a DL4J zoo network with its ImageNet weights, downloading the weights once into TransferKit's cache.
 *
 * <p>The file is fetched from {@code <base URL>/<the zoo's path for it>} (e.g.
 * {@code https://dl4jdata.blob.core.windows.net/models/vgg16_dl4j_inference.zip}) with a {@link Downloader}: bounded
 * timeouts, retries, and the file only appears in the cache once its Adler-32 checksum matches. Unlike the zoo's own
 * {@code initPretrained}, a cached file with the wrong checksum is never deleted: loading fails with a message
 * that names the file and says to delete or replace it. Offline, the error names the URL and the exact path to put
 * the file at by hand.
 *
 * <pre>{@code
 * BaseModel vgg = ZooSource.builder().setArchitecture(ZooArchitecture.VGG16).build().load();
 * BaseModel vggPool = ZooSource.builder().setArchitecture(ZooArchitecture.VGG16).build().read()
 *         .optFeatureLayers(List.of("block5_pool")).build();
 * }</pre>
 */
public final class ZooSource implements ModelSource {
    private static final Logger log = LoggerFactory.getLogger(ZooSource.class);

    private final ZooEntry entry;
    private final Path cacheDir;
    private final URI baseUrl;
    private final Downloader downloader;

    private ZooSource(Builder b) {
        this.entry = b.entry;
        this.cacheDir = b.cacheDir != null ? b.cacheDir.toAbsolutePath() : TransferKitHome.resolve("zoo");
        this.baseUrl = withTrailingSlash(b.baseUrl != null ? b.baseUrl : defaultBaseUrl());
        this.downloader = b.downloader != null ? b.downloader : Downloader.defaults();
    }

    /**
     * Starts a builder: {@code setArchitecture} is required, everything else optional.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the zoo's download location in effect: the system property
     * {@value DL4JSystemProperties#DL4J_RESOURCES_BASE_URL_PROPERTY} when set, else what DL4J's {@code DL4JResources} uses
     * (by default {@code https://dl4jdata.blob.core.windows.net/}).
     *
     * @return the base URL, ending in {@code /}
     */
    public static URI defaultBaseUrl() {
        String property = System.getProperty(DL4JSystemProperties.DL4J_RESOURCES_BASE_URL_PROPERTY);
        String base = property != null && !property.isBlank() ? property.strip() : DL4JResources.getBaseDownloadURL();
        return withTrailingSlash(URI.create(base));
    }

    /** @return the URL the pretrained file is downloaded from */
    public URI url() {
        return baseUrl.resolve(entry.remotePath());
    }

    /** @return where the pretrained file is cached: {@code <cache dir>/<model name>/<file name>} */
    public Path cachedFile() {
        String path = entry.remotePath();
        return cacheDir.resolve(entry.modelName()).resolve(path.substring(path.lastIndexOf('/') + 1));
    }

    /**
     * Reads the network, downloading its weights first when they are not cached.
     *
     * @return a builder with the network, the architecture's name, input spec, preprocessing and feature layers, the
     *         1000 ImageNet labels and the provenance (URL, checksum, cached file)
     * @throws ModelLoadException when the file cannot be downloaded, the cached file has the wrong checksum, or DL4J
     *                            cannot restore it; the message names the URL or file and what to do
     */
    @Override
    public BaseModel.Builder read() {
        Path file = cachedFile();
        URI url = url();
        Checksum checksum = entry.checksum();
        if (Files.isRegularFile(file)) {
            verifyCached(file, url, checksum);
            log.info("Using the cached weights of zoo model '{}' at {}.", entry.modelName(), file);
        } else {
            log.info("Downloading the weights of zoo model '{}' from {} to {}.", entry.modelName(), url, file);
            try {
                downloader.download(url, file, checksum);
            } catch (DownloadException e) {
                throw new ModelLoadException("Could not download the pretrained weights of zoo model '" + entry.modelName()
                        + "'. " + e.getMessage(), e);
            }
        }
        ComputationGraph graph = restore(file);
        entry.prepare(graph);
        List<String> layers = entry.resolveFeatureLayers(graph);
        if (layers.isEmpty()) {
            log.warn("None of the declared feature layers of zoo model '{}' is in {}; name them with optFeatureLayers on"
                    + " the builder read() returns.", entry.modelName(), file);
        }
        return BaseModel.builder()
                .setName(entry.modelName())
                .setGraph(graph)
                .setInputSpec(entry.inputSpec())
                .setPreprocessing(entry.preprocessing())
                .optFeatureLayers(layers)
                .optLabels(entry.labels())
                .optProvenance("source", "DL4J model zoo (deeplearning4j-zoo), ImageNet weights")
                .optProvenance("architecture", entry.modelName())
                .optProvenance("url", url.toString())
                .optProvenance("checksum", checksum.toString())
                .optProvenance("file", file.toString())
                .optProvenance("labels", "ImageNet 1000 classes from @tensorflow-models/mobilenet (Apache-2.0)");
    }

    private void verifyCached(Path file, URI url, Checksum checksum) {
        String actual;
        try {
            actual = checksum.computeFor(file);
        } catch (RuntimeException e) {
            throw new ModelLoadException("Could not read the cached weights " + file + " of zoo model '"
                    + entry.modelName() + "': " + e.getMessage(), e);
        }
        if (!actual.equals(checksum.value())) {
            throw new ModelLoadException("The cached file " + file + " for zoo model '" + entry.modelName()
                    + "' has checksum " + checksum.algorithm().label() + ":" + actual + " but " + checksum
                    + " was expected. It was left in place: delete it to download it again from " + url
                    + ", or replace it with the correct file.");
        }
    }

    private ComputationGraph restore(Path file) {
        try {
            return ModelSerializer.restoreComputationGraph(file.toFile(), false);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("The file " + file + " has the expected checksum but DL4J could not restore zoo model '"
                    + entry.modelName() + "' from it: " + e.getMessage(), e);
        }
    }

    private static URI withTrailingSlash(URI uri) {
        String s = uri.toString();
        return s.endsWith("/") ? uri : URI.create(s + "/");
    }

    @Override
    public String toString() {
        return "ZooSource(model=" + entry.modelName() + ", url=" + url() + ", cacheDir=" + cacheDir + ", downloader="
                + downloader + ")";
    }

    /** Builder for {@link ZooSource}. */
    public static final class Builder {
        private ZooEntry entry;
        private Path cacheDir;
        private URI baseUrl;
        private Downloader downloader;

        private Builder() {
        }

        /**
         * @param architecture the zoo network to load (required)
         * @return this builder
         */
        public Builder setArchitecture(ZooArchitecture architecture) {
            this.entry = Objects.requireNonNull(architecture, "architecture");
            return this;
        }

        /** Sets any zoo entry; lets tests serve a small stand-in file. */
        Builder setEntry(ZooEntry entry) {
            this.entry = Objects.requireNonNull(entry, "entry");
            return this;
        }

        /**
         * @param cacheDir where downloaded weights are kept (default {@code TransferKitHome.resolve("zoo")});
         *                 each model gets a sub-directory named after it
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /**
         * @param baseUrl a mirror of the zoo's download location (http, https or file); the zoo's relative path of the
         *                file is resolved against it (default {@link #defaultBaseUrl()})
         * @return this builder
         */
        public Builder optBaseUrl(URI baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            String scheme = baseUrl.getScheme();
            if (!baseUrl.isAbsolute() || !List.of("http", "https", "file").contains(scheme.toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException("The zoo base URL must be an absolute http, https or file URL, but got '"
                        + baseUrl + "'.");
            }
            this.baseUrl = baseUrl;
            return this;
        }

        /**
         * @param downloader the downloader to use (default {@link Downloader#defaults()})
         * @return this builder
         */
        public Builder optDownloader(Downloader downloader) {
            this.downloader = Objects.requireNonNull(downloader, "downloader");
            return this;
        }

        /**
         * @return the source; nothing is downloaded until {@link ZooSource#read()}
         * @throws MissingSettingException when no architecture was set
         */
        public ZooSource build() {
            if (entry == null) {
                throw new MissingSettingException("A ZooSource needs an architecture: call setArchitecture, e.g. with ZooArchitecture.VGG16.");
            }
            return new ZooSource(this);
        }
    }
}
