package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.Backend;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.BatchMemory;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.onnx.OnnxModel;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loaded pretrained network plus everything needed to use it correctly: its name, input size and layout,
 * the preprocessing it was trained with, the names of its useful feature layers (the first is the recommended
 * default), its label names when known, and where it came from.
 *
 * <p>Obtain one from a {@link ModelSource} ({@code ZooSource}, {@code Dl4jZipSource}, {@code KerasSource},
 * {@code TfjsSource}, {@code NsfwjsSource}, {@code OnnxSource}) or build one around your own graph with {@link #builder()}.
 * A source only reads its files: {@link ModelSource#read()} returns this class's builder holding the network and what
 * the files declare, and every descriptive setting (name, input spec, preprocessing, feature layers, labels,
 * provenance) is set or overridden there, e.g.
 * {@code KerasSource.of(file).read().setPreprocessing(Preprocessing.TF).optLabels(labels).build()}; a loaded model is
 * changed the same way through {@link #toBuilder()}. Instances are immutable; the wrapped graph is shared, so {@link #classify} and {@link #output} are
 * synchronised on it.
 *
 * <p>Forward passes run through an {@link InferenceEngine} (the network exported to ONNX and run in ONNX Runtime, several
 * times faster than DL4J's layers on a CPU) compiled on first use for each vertex; the result is the same to float
 * rounding. Where ONNX Runtime cannot load, the network cannot be exported, or the engine fails, DL4J's own forward
 * pass is used. Opt out per model with
 * {@link Builder#optUseEngine(boolean)}, or everywhere with {@code -Dtransferkit.engine=false}.
 */
public final class BaseModel {
    static {
        Backend.configure();
    }

    private static final Logger LOG = LoggerFactory.getLogger(BaseModel.class);

    private final String name;
    private final ComputationGraph graph;
    private final InputSpec inputSpec;
    private final Preprocessing preprocessing;
    private final List<String> featureLayers;
    private final List<String> labels;
    private final Map<String, String> provenance;
    private final boolean useEngine;
    private final EngineOptions engineOptions;
    private final java.nio.file.Path onnxFile;
    private final Map<List<String>, Optional<InferenceEngine>> engines = new ConcurrentHashMap<>();

    private BaseModel(Builder b, Preprocessing preprocessing, Map<String, String> provenance) {
        this.name = b.name;
        this.graph = b.graph;
        this.inputSpec = b.inputSpec;
        this.preprocessing = preprocessing;
        this.featureLayers = List.copyOf(b.featureLayers);
        this.labels = List.copyOf(b.labels);
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        this.useEngine = b.useEngine;
        this.engineOptions = b.engineOptions;
        this.onnxFile = b.onnxFile;
    }

    /**
     * Starts a builder: {@code setName}, {@code setGraph}, {@code setInputSpec} and {@code setPreprocessing} are
     * required; the {@code opt} methods are optional.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a builder holding this model's settings (the same graph object), to derive a model that differs in some
     * of them, e.g. other labels, recommended feature layers or engine options.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.graph = graph;
        b.inputSpec = inputSpec;
        b.preprocessing = preprocessing;
        b.featureLayers = featureLayers;
        b.labels = labels;
        b.provenance = new LinkedHashMap<>(provenance);
        b.useEngine = useEngine;
        b.engineOptions = engineOptions;
        b.onnxFile = onnxFile;
        return b;
    }

    /** @return the model's name, e.g. {@code "nsfwjs-mobilenet_v2"} */
    public String name() {
        return name;
    }

    /** @return the network; do not modify it (fine-tuning works on a copy) */
    public ComputationGraph graph() {
        return graph;
    }

    /** @return the input the network expects */
    public InputSpec inputSpec() {
        return inputSpec;
    }

    /** @return the preprocessing the network was trained with */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** @return the names of the useful feature layers, the recommended default first; may be empty */
    public List<String> featureLayers() {
        return featureLayers;
    }

    /**
     * Returns the recommended feature layer.
     *
     * @return the first of {@link #featureLayers()}
     * @throws TransferKitException when the model declares no feature layers
     */
    public String defaultFeatureLayer() {
        if (featureLayers.isEmpty()) {
            throw new TransferKitException("The model '" + name + "' declares no feature layers; name one of its layers: "
                    + layerNames() + ".");
        }
        return featureLayers.get(0);
    }

    /** @return the class names of the original head, in output order; empty when unknown */
    public List<String> labels() {
        return labels;
    }

    /** @return where the model came from: source, location, checksum, licence, conversion notes */
    public Map<String, String> provenance() {
        return provenance;
    }

    /** @return the names of every vertex of the network, sorted */
    public Set<String> layerNames() {
        return new TreeSet<>(graph.getConfiguration().getVertices().keySet());
    }

    /**
     * Checks that a layer exists.
     *
     * @param layer a vertex name of the network
     * @return the same name
     * @throws TransferKitException naming the model and listing its layers when there is no such layer
     */
    public String requireLayer(String layer) {
        if (layer == null || !graph.getConfiguration().getVertices().containsKey(layer)) {
            throw new TransferKitException("The model '" + name + "' has no layer named '" + layer + "'. Its layers are: "
                    + layerNames() + ".");
        }
        return layer;
    }

    /**
     * Creates the image pipeline that turns files into this network's input.
     *
     * @param options decoding and resizing options
     * @return a pipeline with this model's input size and preprocessing
     */
    public ImagePipeline pipeline(ImageOptions options) {
        return new ImagePipeline(inputSpec, preprocessing, options);
    }

    /**
     * Runs the network's original head on a preprocessed batch.
     *
     * @param batch input in {@link #inputSpec()}'s shape
     * @return the network output, one row per image
     */
    public INDArray output(INDArray batch) {
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.size() == 1) {
            Optional<InferenceEngine> engine = engine(outputs.get(0));
            if (engine.isPresent() && engine.get().accepts(batch)) {
                try {
                    return engine.get().output(batch);
                } catch (RuntimeException e) {
                    disableEngine(outputs.get(0), e);
                }
            }
        }
        synchronized (graph) {
            return graph.outputSingle(false, batch);
        }
    }

    /**
     * Returns the inference engine compiled for a vertex of this network, compiling it on first use.
     *
     * @param vertex a vertex name
     * @return the engine, or empty when the engine is switched off for this model ({@link Builder#optUseEngine}) or
     *         globally ({@code -Dtransferkit.engine=false}), or cannot compile the network (logged once)
     * @throws TransferKitException naming the model and its layers when there is no such vertex
     */
    public Optional<InferenceEngine> engine(String vertex) {
        return engine(List.of(vertex));
    }

    /**
     * Returns the inference engine that computes several vertices in one pass, compiling it on first use.
     *
     * @param vertices vertex names, in the order {@link InferenceEngine#outputs} returns them
     * @return the engine, or empty as for {@link #engine(String)}
     * @throws TransferKitException naming the model and its layers when a vertex is not in it
     */
    public Optional<InferenceEngine> engine(List<String> vertices) {
        vertices.forEach(this::requireLayerOrInput);
        if (!useEngine || !EngineOptions.enabledBySystemProperty() || !InferenceEngine.available()) {
            return Optional.empty(); // where ONNX Runtime cannot load, that was logged once, naming the platform
        }
        return engines.computeIfAbsent(List.copyOf(vertices), key -> {
            try (var outside = BatchMemory.outside()) { // the engine outlives the batch that compiles it
                if (onnxFile != null) {
                    return Optional.of(InferenceEngine.compile(OnnxModel.read(onnxFile), vertices, inputSpec, engineOptions));
                }
                return Optional.of(InferenceEngine.compile(graph, vertices, inputSpec, engineOptions));
            } catch (RuntimeException e) {
                LOG.warn("The inference engine cannot compile {} of the model '{}', so DL4J's slower forward pass runs it: {}",
                        vertices, name, e.getMessage());
                return Optional.empty();
            }
        });
    }

    /** Stops using the engine for a vertex after it failed on a batch it accepted; DL4J runs that vertex from now on. */
    private void disableEngine(String vertex, RuntimeException e) {
        engines.put(List.of(vertex), Optional.empty());
        LOG.warn("The inference engine failed on '{}' of the model '{}'; DL4J's forward pass runs it from now on: {}",
                vertex, name, e.toString());
    }

    private void requireLayerOrInput(String vertex) {
        if (vertex == null || !graph.getConfiguration().getNetworkInputs().contains(vertex)) {
            requireLayer(vertex);
        }
    }

    /**
     * Classifies an image file with the original head, using default image options.
     *
     * @param image the image file
     * @param k     how many classes to return
     * @return the image's {@code k} most probable classes, most probable first
     * @throws IllegalArgumentException when {@code k} is less than 1
     */
    public Classification classify(Path image, int k) {
        return new Classification(image, topK(output(pipeline(ImageOptions.defaults()).load(image)), k).get(0), true);
    }

    /**
     * Classifies a decoded image with the original head, using default image options.
     *
     * @param image the image
     * @param k     how many classes to return
     * @return the {@code k} most probable classes, most probable first, without an image path
     * @throws IllegalArgumentException when {@code k} is less than 1
     */
    public Classification classify(BufferedImage image, int k) {
        return new Classification(null, topK(output(pipeline(ImageOptions.defaults()).toBatch(List.of(image))), k).get(0), true);
    }

    /**
     * Turns network outputs into top-k predictions.
     *
     * @param probabilities one row of class probabilities per image
     * @param k             how many classes per row
     * @return for each row, the {@code min(k, classes)} most probable classes
     */
    public List<List<Prediction>> topK(INDArray probabilities, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, but was " + k + ".");
        }
        if (probabilities.rank() != 2) {
            throw new TransferKitException("The model '" + name + "' does not end in a classifier: its output has shape "
                    + java.util.Arrays.toString(probabilities.shape()) + " instead of [batch, classes].");
        }
        int classes = (int) probabilities.columns();
        if (!labels.isEmpty() && labels.size() != classes) {
            throw new TransferKitException("The model '" + name + "' has " + labels.size() + " label names but its output has "
                    + classes + " classes.");
        }
        List<List<Prediction>> result = new ArrayList<>();
        for (int row = 0; row < probabilities.rows(); row++) {
            float[] p = probabilities.getRow(row).toFloatVector();
            Integer[] order = new Integer[classes];
            for (int i = 0; i < classes; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            List<Prediction> top = new ArrayList<>();
            for (int i = 0; i < Math.min(k, classes); i++) {
                int c = order[i];
                top.add(new Prediction(c, labels.isEmpty() ? "class_" + c : labels.get(c), p[c]));
            }
            result.add(List.copyOf(top));
        }
        return List.copyOf(result);
    }

    /**
     * Saves this model as one DL4J model zip that also carries its TransferKit metadata; {@link Dl4jZipSource}
     * restores it with everything intact. The file appears atomically: it is either complete or absent.
     *
     * @param file the zip to write
     */
    public void save(Path file) {
        ModelArchive.write(this, file);
    }

    /**
     * Loads a model saved with {@link #save(Path)}.
     *
     * @param file the zip
     * @return the model, with its metadata
     * @throws ModelLoadException when the file is missing, truncated, not a model zip, or has no TransferKit metadata
     */
    public static BaseModel load(Path file) {
        return ModelArchive.read(file);
    }

    @Override
    public String toString() {
        return "BaseModel(name=" + name + ", input=" + inputSpec + ", preprocessing=" + preprocessing.name()
                + ", params=" + graph.numParams() + ", featureLayers=" + featureLayers + ", labels=" + labels.size()
                + ", engine=" + (useEngine ? engineOptions : "off") + (onnxFile != null ? ", onnx=" + onnxFile : "")
                + ", provenance=" + provenance + ")";
    }

    /** Builder for {@link BaseModel}. */
    public static final class Builder {
        private String name;
        private ComputationGraph graph;
        private InputSpec inputSpec;
        private Preprocessing preprocessing;
        private List<String> featureLayers = List.of();
        private List<String> labels = List.of();
        private Map<String, String> provenance = new LinkedHashMap<>();
        private boolean useEngine = true;
        private EngineOptions engineOptions = EngineOptions.defaults();
        private java.nio.file.Path onnxFile;
        private String undeclared;
        private Preprocessing conventionalPreprocessing;
        private String convention;

        private Builder() {
        }

        /**
         * Says what the files a source read leave out, for the message when a required setting is then missing.
         *
         * @param undeclared one or more sentences naming the files and what they do not record
         * @return this builder
         */
        Builder undeclared(String undeclared) {
            this.undeclared = undeclared;
            return this;
        }

        /**
         * Sets the preprocessing to use when {@link #setPreprocessing} is not called, for files that do not record it
         * but follow a convention (ONNX exports of torchvision models). Using it is logged, with the {@link #undeclared}
         * sentence, and noted in the provenance entry {@code preprocessing}.
         *
         * @param preprocessing the conventional preprocessing
         * @param convention    whose convention it is, e.g. {@code "default for ONNX models"}
         * @return this builder
         */
        Builder defaultPreprocessing(Preprocessing preprocessing, String convention) {
            this.conventionalPreprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
            this.convention = Objects.requireNonNull(convention, "convention");
            return this;
        }

        /**
         * Sets the ONNX file this model was imported from, so that frozen forward passes run that file's own graph in
         * ONNX Runtime (cut at the requested tensor) rather than an export of the DL4J network. The file is read when
         * an engine is compiled and is not saved with the model: a saved and reloaded model runs its DL4J network.
         *
         * @param onnxFile the {@code .onnx} file whose tensor names are this model's vertex names, or null
         * @return this builder
         */
        public Builder optOnnxFile(java.nio.file.Path onnxFile) {
            this.onnxFile = onnxFile;
            return this;
        }

        /**
         * @param useEngine false to run every forward pass through DL4J's layers instead of the inference engine
         * @return this builder
         */
        public Builder optUseEngine(boolean useEngine) {
            this.useEngine = useEngine;
            return this;
        }

        /** @param engineOptions how the inference engine compiles this network @return this builder */
        public Builder optEngineOptions(EngineOptions engineOptions) {
            this.engineOptions = Objects.requireNonNull(engineOptions, "engineOptions");
            return this;
        }

        /** @param name the model's name @return this builder */
        public Builder setName(String name) {
            this.name = name;
            return this;
        }

        /** @param graph the initialised network @return this builder */
        public Builder setGraph(ComputationGraph graph) {
            this.graph = graph;
            return this;
        }

        /** @param inputSpec the input the network expects @return this builder */
        public Builder setInputSpec(InputSpec inputSpec) {
            this.inputSpec = inputSpec;
            return this;
        }

        /** @param preprocessing the preprocessing the network was trained with @return this builder */
        public Builder setPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /** @param featureLayers useful feature layers, recommended default first @return this builder */
        public Builder optFeatureLayers(List<String> featureLayers) {
            this.featureLayers = List.copyOf(featureLayers);
            return this;
        }

        /** @param labels class names of the original head, in output order @return this builder */
        public Builder optLabels(List<String> labels) {
            this.labels = List.copyOf(labels);
            return this;
        }

        /** @param provenance where the model came from; replaces the entries set so far @return this builder */
        public Builder optProvenance(Map<String, String> provenance) {
            this.provenance = new LinkedHashMap<>(provenance);
            return this;
        }

        /**
         * Adds one provenance entry, replacing an entry of the same key, e.g. to record where a source's files came from.
         *
         * @param key   the entry's name, e.g. {@code "licence"}
         * @param value its value
         * @return this builder
         */
        public Builder optProvenance(String key, String value) {
            provenance.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Builds the model.
         *
         * @return the immutable model
         * @throws MissingSettingException when a required value is missing (naming what the source's files leave out)
         * @throws TransferKitException  when a feature layer is not in the graph
         */
        public BaseModel build() {
            String why = undeclared == null ? "" : " " + undeclared;
            if (name == null || name.isBlank()) {
                throw new MissingSettingException("A BaseModel needs a name: call setName.");
            }
            MissingSettingException.require(graph, "A BaseModel needs a network: call setGraph.");
            MissingSettingException.require(inputSpec, "A BaseModel needs an input spec: call setInputSpec." + why);
            Preprocessing pre = preprocessing;
            Map<String, String> prov = new LinkedHashMap<>(provenance);
            if (conventionalPreprocessing != null) {
                if (pre == null) {
                    pre = conventionalPreprocessing;
                    LOG.info("{} Using '{}' ({}); set another with setPreprocessing (CLI: --preprocessing).", undeclared,
                            pre.name(), convention);
                }
                prov.put("preprocessing", pre.name() + (preprocessing == null ? " (" + convention + ")" : ""));
            }
            MissingSettingException.require(pre, "A BaseModel needs its preprocessing: call setPreprocessing." + why);
            BaseModel model = new BaseModel(this, pre, prov);
            featureLayers.forEach(model::requireLayer);
            return model;
        }
    }
}
