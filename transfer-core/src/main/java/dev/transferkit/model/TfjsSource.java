package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.tfjs.TfjsFormatException;
import dev.transferkit.model.tfjs.TfjsImporter;
import dev.transferkit.model.tfjs.TfjsModel;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A TensorFlow.js layers model on disk: a converter-style {@code model.json} with its binary weight shards, or a
 * JavaScript-module bundle ({@code model.min.js} plus {@code *.min.js} shards, as in the npm package
 * {@code nsfwjs}). It is converted to a DL4J network on every {@link #load()}; save the result with
 * {@link BaseModel#save} to skip the conversion next time.
 *
 * <p>TF.js files do not record how pixels were preprocessed, so {@link Builder#setPreprocessing} is required.
 * The input size is read from the model's input layer unless {@link Builder#optInputSpec} overrides it.
 */
public final class TfjsSource implements ModelSource {
    private final Path modelJson;
    private final Path bundle;
    private final Preprocessing preprocessing;
    private final InputSpec inputSpec;
    private final List<String> labels;
    private final List<String> featureLayers;
    private final String name;
    private final Map<String, String> provenance;

    private TfjsSource(Builder b) {
        this.modelJson = b.modelJson;
        this.bundle = b.bundle;
        this.preprocessing = b.preprocessing;
        this.inputSpec = b.inputSpec;
        this.labels = b.labels;
        this.featureLayers = b.featureLayers;
        this.name = b.name;
        this.provenance = b.provenance;
    }

    /**
     * Starts a builder: one of {@code setModelJson} or {@code setBundle}, and {@code setPreprocessing}, are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads and converts the model.
     *
     * @return the model, named after its directory unless a name was given
     * @throws ModelLoadException naming the file when it cannot be read or converted, or its input size cannot be
     *                            derived and none was given
     */
    @Override
    public BaseModel load() {
        TfjsModel model = modelJson != null ? TfjsModel.fromModelJson(modelJson) : TfjsModel.fromBundle(bundle);
        InputSpec spec = inputSpec != null ? inputSpec : model.inputSpec().orElseThrow(() -> new TfjsFormatException(
                "Cannot derive the input size of " + model.file() + ": it needs one input layer with a batch_input_shape"
                        + " of [null, height, width, channels]. Give it with TfjsSource.builder().optInputSpec(...)."));
        ComputationGraph graph = TfjsImporter.importGraph(model);
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("source", "tfjs-layers");
        prov.put("file", model.file().toString());
        model.info().forEach((k, v) -> prov.put("tfjs." + k, v));
        prov.putAll(provenance);
        return BaseModel.builder()
                .setName(name != null ? name : model.file().getParent().getFileName().toString())
                .setGraph(graph)
                .setInputSpec(spec)
                .setPreprocessing(preprocessing)
                .optLabels(labels)
                .optFeatureLayers(featureLayers)
                .optProvenance(prov)
                .build();
    }

    @Override
    public String toString() {
        return "TfjsSource(" + (modelJson != null ? "modelJson=" + modelJson : "bundle=" + bundle)
                + ", preprocessing=" + preprocessing.name() + ", input=" + (inputSpec == null ? "from model" : inputSpec)
                + ", labels=" + labels.size() + ", featureLayers=" + featureLayers + (name == null ? "" : ", name=" + name) + ")";
    }

    /** Builder for {@link TfjsSource}. */
    public static final class Builder {
        private Path modelJson;
        private Path bundle;
        private Preprocessing preprocessing;
        private InputSpec inputSpec;
        private List<String> labels = List.of();
        private List<String> featureLayers = List.of();
        private String name;
        private Map<String, String> provenance = Map.of();

        private Builder() {
        }

        /**
         * @param modelJson a TF.js {@code model.json}; shards are resolved relative to it
         * @return this builder
         */
        public Builder setModelJson(Path modelJson) {
            this.modelJson = Objects.requireNonNull(modelJson, "modelJson");
            return this;
        }

        /**
         * @param directory a directory holding a {@code model.min.js} bundle and its {@code *.min.js} shards
         * @return this builder
         */
        public Builder setBundle(Path directory) {
            this.bundle = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * @param preprocessing the pixel preprocessing the network was trained with (TF.js files do not say)
         * @return this builder
         */
        public Builder setPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
            return this;
        }

        /**
         * @param inputSpec the input size and layout; default: from the model's input layer, NHWC
         * @return this builder
         */
        public Builder optInputSpec(InputSpec inputSpec) {
            this.inputSpec = Objects.requireNonNull(inputSpec, "inputSpec");
            return this;
        }

        /**
         * @param labels class names of the model's output, in order
         * @return this builder
         */
        public Builder optLabels(List<String> labels) {
            this.labels = List.copyOf(labels);
            return this;
        }

        /**
         * @param featureLayers useful feature layers, recommended default first
         * @return this builder
         */
        public Builder optFeatureLayers(List<String> featureLayers) {
            this.featureLayers = List.copyOf(featureLayers);
            return this;
        }

        /**
         * @param name the model's name; default: the name of the model's directory
         * @return this builder
         */
        public Builder optName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("A model name must not be blank.");
            }
            this.name = name;
            return this;
        }

        /**
         * @param provenance extra provenance entries (where the files came from, licence), added to the defaults
         * @return this builder
         */
        public Builder optProvenance(Map<String, String> provenance) {
            this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
            return this;
        }

        /**
         * @return the source
         * @throws MissingSettingException when the model location or the preprocessing is missing
         */
        public TfjsSource build() {
            if ((modelJson == null) == (bundle == null)) {
                throw new MissingSettingException("A TfjsSource needs exactly one model location: call setModelJson or setBundle.");
            }
            if (preprocessing == null) {
                throw new MissingSettingException("A TfjsSource needs the preprocessing the network was trained with:"
                        + " call setPreprocessing (TF.js files do not record it).");
            }
            return new TfjsSource(this);
        }
    }
}
