package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Loads a DL4J model zip (written by {@code ModelSerializer} or by {@link BaseModel#save}). A
 * {@code MultiLayerNetwork} zip is converted to a {@code ComputationGraph}.
 *
 * <p>A zip written by {@link BaseModel#save} carries TransferKit metadata (name, input spec, preprocessing, feature
 * layers, labels, provenance), which is used as is; any {@code opt} value given here overrides it. A plain DL4J zip
 * has no such metadata, so {@link Builder#optInputSpec} and {@link Builder#optPreprocessing} are then required.
 */
public final class Dl4jZipSource implements ModelSource {
    private static final String WHAT = "DL4J model zip";
    private static final String CONFIGURATION = "configuration.json";
    private static final String COEFFICIENTS = "coefficients.bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String name;
    private final InputSpec inputSpec;
    private final Preprocessing preprocessing;
    private final List<String> labels;
    private final List<String> featureLayers;

    private Dl4jZipSource(Builder b) {
        this.file = b.file;
        this.name = b.name;
        this.inputSpec = b.inputSpec;
        this.preprocessing = b.preprocessing;
        this.labels = b.labels;
        this.featureLayers = b.featureLayers;
    }

    /**
     * Starts a builder: {@code setFile} is required; {@code optInputSpec} and {@code optPreprocessing} are required
     * for zips without TransferKit metadata.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads the model.
     *
     * @return the model
     * @throws ModelLoadException naming the file when it is missing, not a zip, damaged, not a DL4J model, or lacks
     *                            metadata that was not given to the builder
     */
    @Override
    public BaseModel load() {
        Path zip = ModelFiles.requireFile(file, WHAT);
        JsonNode configuration = readConfiguration(zip);
        Optional<ModelArchive.Metadata> metadata = ModelArchive.readMetadata(zip);
        if (metadata.isEmpty() && (inputSpec == null || preprocessing == null)) {
            throw new ModelLoadException("The " + WHAT + " " + zip + " carries no TransferKit metadata, so its input size and "
                    + "preprocessing are unknown: set them with optInputSpec(...) and optPreprocessing(...)"
                    + (inputSpec == null && preprocessing == null ? "." : inputSpec == null ? " (optInputSpec is missing)."
                    : " (optPreprocessing is missing)."));
        }
        ComputationGraph graph = restore(zip, configuration);
        if (metadata.isPresent()) {
            BaseModel saved = ModelArchive.fromMetadata(zip, graph, metadata.get());
            return BaseModel.builder()
                    .setName(name != null ? name : saved.name())
                    .setGraph(graph)
                    .setInputSpec(inputSpec != null ? inputSpec : saved.inputSpec())
                    .setPreprocessing(preprocessing != null ? preprocessing : saved.preprocessing())
                    .optFeatureLayers(featureLayers != null ? featureLayers : saved.featureLayers())
                    .optLabels(labels != null ? labels : saved.labels())
                    .optProvenance(saved.provenance())
                    .build();
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("source", WHAT);
        provenance.put("file", zip.toString());
        provenance.put("networkType", configuration.has("vertices") ? "ComputationGraph" : "MultiLayerNetwork (converted)");
        return BaseModel.builder()
                .setName(name != null ? name : ModelFiles.baseName(zip))
                .setGraph(graph)
                .setInputSpec(inputSpec)
                .setPreprocessing(preprocessing)
                .optFeatureLayers(featureLayers != null ? featureLayers : List.of())
                .optLabels(labels != null ? labels : List.of())
                .optProvenance(provenance)
                .build();
    }

    private static JsonNode readConfiguration(Path zip) {
        byte[] magic;
        try {
            magic = ModelFiles.readBytes(zip, 0, 4);
        } catch (IOException e) {
            throw new ModelLoadException("Could not read the " + WHAT + " " + zip + ": " + e.getMessage(), e);
        }
        boolean zipMagic = magic.length == 4 && magic[0] == 'P' && magic[1] == 'K'
                && ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
        if (!zipMagic) {
            throw new ModelLoadException("The file " + zip + " is not a zip file, so it cannot be a " + WHAT + ".");
        }
        try (ZipFile z = new ZipFile(zip.toFile())) {
            ZipEntry config = z.getEntry(CONFIGURATION);
            if (config == null) {
                throw new ModelLoadException("The zip " + zip + " is not a " + WHAT + ": it has no " + CONFIGURATION + " entry.");
            }
            if (z.getEntry(COEFFICIENTS) == null) {
                throw new ModelLoadException("The zip " + zip + " is not a complete " + WHAT + ": it has no " + COEFFICIENTS
                        + " entry (the network's parameters).");
            }
            JsonNode json;
            try (InputStream in = z.getInputStream(config)) {
                json = JSON.readTree(in);
            }
            if (json == null || !(json.has("vertices") || json.has("confs"))) {
                throw new ModelLoadException("The " + CONFIGURATION + " in " + zip + " describes neither a ComputationGraph nor a "
                        + "MultiLayerNetwork, so the zip is not a " + WHAT + ".");
            }
            return json;
        } catch (ZipException e) {
            throw new ModelLoadException("The zip " + zip + " is damaged or truncated (" + e.getMessage()
                    + "); copy or download it again.", e);
        } catch (IOException e) {
            throw new ModelLoadException("Could not read the " + WHAT + " " + zip + ": " + e.getMessage(), e);
        }
    }

    private static ComputationGraph restore(Path zip, JsonNode configuration) {
        try {
            if (configuration.has("vertices")) {
                return ModelSerializer.restoreComputationGraph(zip.toFile(), false);
            }
            return ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false).toComputationGraph();
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("DL4J could not restore the network in " + zip + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Dl4jZipSource(file=" + file + (name != null ? ", name=" + name : "") + (inputSpec != null ? ", input=" + inputSpec : "")
                + (preprocessing != null ? ", preprocessing=" + preprocessing.name() : "")
                + (featureLayers != null ? ", featureLayers=" + featureLayers : "")
                + (labels != null ? ", labels=" + labels.size() : "") + ")";
    }

    /** Builder for {@link Dl4jZipSource}. */
    public static final class Builder {
        private Path file;
        private String name;
        private InputSpec inputSpec;
        private Preprocessing preprocessing;
        private List<String> labels;
        private List<String> featureLayers;

        private Builder() {
        }

        /** @param file the DL4J model zip (required) @return this builder */
        public Builder setFile(Path file) {
            this.file = Objects.requireNonNull(file, "file");
            return this;
        }

        /** @param name the model's name (default: the metadata's, else the file name without {@code .zip}) @return this builder */
        public Builder optName(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** @param inputSpec the input the network expects (required without metadata) @return this builder */
        public Builder optInputSpec(InputSpec inputSpec) {
            this.inputSpec = Objects.requireNonNull(inputSpec, "inputSpec");
            return this;
        }

        /** @param preprocessing the preprocessing the network was trained with (required without metadata) @return this builder */
        public Builder optPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
            return this;
        }

        /** @param labels class names of the network's output, in order @return this builder */
        public Builder optLabels(List<String> labels) {
            this.labels = List.copyOf(labels);
            return this;
        }

        /** @param featureLayers useful feature layers, recommended default first @return this builder */
        public Builder optFeatureLayers(List<String> featureLayers) {
            this.featureLayers = List.copyOf(featureLayers);
            return this;
        }

        /**
         * @return the source; the file is read by {@link Dl4jZipSource#load()}
         * @throws MissingSettingException when no file was set
         */
        public Dl4jZipSource build() {
            if (file == null) {
                throw new MissingSettingException("A Dl4jZipSource needs a file: call setFile.");
            }
            return new Dl4jZipSource(this);
        }
    }
}
