package dev.transferkit.model.tfjs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TensorFlow.js layers model as stored on disk: its Keras topology, its weights manifest and access to the
 * weight shard bytes. {@link TfjsImporter} turns it into a DL4J network.
 *
 * <p>Two layouts are read:
 * <ul>
 *   <li>{@link #fromModelJson(Path)}: the converter's {@code model.json} with binary shards named by the manifest
 *       paths, relative to the json file;</li>
 *   <li>{@link #fromBundle(Path)}: the JavaScript-module bundle used by the npm package {@code nsfwjs}: a
 *       {@code model.min.js} whose {@code exports={modelTopology:..., weightsManifest:...}} is an object literal,
 *       and one {@code <path>.min.js} per shard whose {@code exports="..."} is the base64 of the shard bytes.</li>
 * </ul>
 * Instances are immutable; weights are read from disk on each {@link #readWeights()} call.
 */
public final class TfjsModel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern EXPORTS = Pattern.compile("exports\\s*=\\s*(?=[{\"'])");

    private final Path file;
    private final Layout layout;
    private final JsonNode topology;
    private final List<WeightGroup> manifest;
    private final Map<String, String> info;

    /**
     * One entry of the weights manifest: the shard files of a group, whose bytes concatenated hold the weights in
     * order.
     *
     * @param paths   the shard paths as written in the manifest
     * @param weights the weights stored in the group, in order
     */
    public record WeightGroup(List<String> paths, List<WeightSpec> weights) {
        /** Copies the lists. */
        public WeightGroup {
            paths = List.copyOf(paths);
            weights = List.copyOf(weights);
        }

        /** @return the number of bytes the weights of this group take */
        public long byteLength() {
            long n = 0;
            for (WeightSpec w : weights) {
                n = Math.addExact(n, w.byteLength());
            }
            return n;
        }
    }

    /** Where shards live and how their bytes are stored. */
    private enum Layout {
        /** Binary shard files named exactly as the manifest paths. */
        FILES {
            @Override
            Path locate(Path dir, String path) {
                return dir.resolve(path);
            }

            @Override
            byte[] read(Path shard) throws IOException {
                return Files.readAllBytes(shard);
            }
        },
        /** JavaScript modules {@code <path>.min.js} exporting the base64 of the shard. */
        BUNDLE {
            @Override
            Path locate(Path dir, String path) {
                return dir.resolve(path + ".min.js");
            }

            @Override
            byte[] read(Path shard) throws IOException {
                JsonNode exported = exported(shard, '"');
                try {
                    return Base64.getDecoder().decode(exported.asText());
                } catch (IllegalArgumentException e) {
                    throw new TfjsFormatException("The weight shard module " + shard
                            + " does not export valid base64 data: " + e.getMessage() + ".", e);
                }
            }
        };

        abstract Path locate(Path dir, String path);

        abstract byte[] read(Path shard) throws IOException;
    }

    private TfjsModel(Path file, Layout layout, JsonNode root) {
        this.file = file;
        this.layout = layout;
        String format = root.path("format").asText("");
        JsonNode topology = root.get("modelTopology");
        if (format.equals("graph-model") || (topology != null && topology.has("node"))) {
            throw new TfjsFormatException("TF.js graph models are not supported: " + file
                    + " is a graph model (format '" + format + "'). Only TF.js layers models (a Keras topology) can be"
                    + " imported; convert the original Keras model with tensorflowjs_converter --output_format tfjs_layers_model.");
        }
        if (topology == null || !topology.isObject()) {
            throw new TfjsFormatException("The TF.js model " + file + " has no 'modelTopology' object; it is not a TF.js"
                    + " layers model.");
        }
        if (!topology.has("model_config") && !topology.has("class_name")) {
            throw new TfjsFormatException("The modelTopology of " + file + " holds neither 'model_config' nor"
                    + " 'class_name'; it is not a Keras topology.");
        }
        this.topology = topology;
        this.manifest = readManifest(root.get("weightsManifest"), file.toString());
        Map<String, String> info = new LinkedHashMap<>();
        for (String key : List.of("format", "generatedBy", "convertedBy")) {
            if (root.hasNonNull(key)) {
                info.put(key, root.get(key).asText());
            }
        }
        this.info = Map.copyOf(info);
    }

    /**
     * Reads a converter-style {@code model.json}; shards are resolved relative to its directory.
     *
     * @param modelJson the {@code model.json} file
     * @return the model
     * @throws TfjsFormatException naming the file when it is missing, malformed or a graph model
     */
    public static TfjsModel fromModelJson(Path modelJson) {
        Path file = modelJson.toAbsolutePath();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new TfjsFormatException("The TF.js model file " + file + " does not exist.", e);
        } catch (JsonProcessingException e) {
            throw new TfjsFormatException("The TF.js model file " + file + " is not valid JSON: "
                    + e.getOriginalMessage() + ".", e);
        } catch (IOException e) {
            throw new TfjsFormatException("Could not read the TF.js model file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TfjsFormatException("The TF.js model file " + file + " does not hold a JSON object.");
        }
        return new TfjsModel(file, Layout.FILES, root);
    }

    /**
     * Reads a JavaScript-module bundle: {@code model.min.js} plus {@code <shard path>.min.js} files in one directory.
     *
     * @param directory the directory holding {@code model.min.js}
     * @return the model
     * @throws TfjsFormatException naming the file when it is missing or exports no object literal
     */
    public static TfjsModel fromBundle(Path directory) {
        Path file = directory.toAbsolutePath().resolve("model.min.js");
        JsonNode root;
        try {
            root = exported(file, '{');
        } catch (NoSuchFileException e) {
            throw new TfjsFormatException("The TF.js model bundle " + file + " does not exist.", e);
        } catch (IOException e) {
            throw new TfjsFormatException("Could not read the TF.js model bundle " + file + ": " + e.getMessage(), e);
        }
        return new TfjsModel(file, Layout.BUNDLE, root);
    }

    /**
     * Finds {@code exports=<literal>} in a JavaScript module and parses the literal.
     *
     * @param file    the module
     * @param opening the first character the literal must have: {@code {} or {@code "}
     */
    private static JsonNode exported(Path file, char opening) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Matcher m = EXPORTS.matcher(text);
        while (m.find()) {
            char c = text.charAt(m.end());
            if (c == opening || (opening == '"' && c == '\'')) {
                return JsLiteral.parseAt(text, m.end(), file.toString());
            }
        }
        throw new TfjsFormatException("The JavaScript module " + file + " has no 'exports=" + opening + "...' to read"
                + (opening == '{' ? " a model from" : " a weight shard from") + ".");
    }

    private static List<WeightGroup> readManifest(JsonNode manifest, String file) {
        if (manifest == null || !manifest.isArray()) {
            throw new TfjsFormatException("The TF.js model " + file + " has no 'weightsManifest' array.");
        }
        List<WeightGroup> groups = new ArrayList<>();
        for (JsonNode group : manifest) {
            JsonNode paths = group.path("paths");
            JsonNode weights = group.path("weights");
            if (!paths.isArray() || !weights.isArray()) {
                throw new TfjsFormatException("A weightsManifest entry of " + file + " lacks a 'paths' or 'weights' array.");
            }
            List<String> p = new ArrayList<>();
            paths.forEach(n -> p.add(n.asText()));
            List<WeightSpec> w = new ArrayList<>();
            weights.forEach(n -> w.add(WeightSpec.fromJson(n, file)));
            groups.add(new WeightGroup(p, w));
        }
        return List.copyOf(groups);
    }

    /** @return the {@code model.json} or {@code model.min.js} file this model was read from */
    public Path file() {
        return file;
    }

    /** @return a copy of the {@code modelTopology} node */
    public JsonNode modelTopology() {
        return topology.deepCopy();
    }

    /** @return the weight groups of the manifest, in order */
    public List<WeightGroup> weightsManifest() {
        return manifest;
    }

    /** @return the {@code format}, {@code generatedBy} and {@code convertedBy} fields the file has */
    public Map<String, String> info() {
        return info;
    }

    /**
     * Returns the Keras model configuration with the Keras version and backend DL4J needs beside it, whichever
     * way the topology stores it (converter: {@code {keras_version, backend, model_config}}; tfjs-layers
     * {@code model.save}: the model configuration itself).
     *
     * @return a fresh copy: {@code {class_name, config, keras_version, backend}}
     */
    public ObjectNode kerasModelConfig() {
        JsonNode config = topology.has("model_config") ? topology.get("model_config") : topology;
        if (!config.isObject() || !config.path("class_name").isTextual() || !config.path("config").isContainerNode()) {
            throw new TfjsFormatException("The Keras model configuration in " + file
                    + " lacks 'class_name' or 'config'.");
        }
        ObjectNode copy = config.deepCopy();
        String version = topology.path("keras_version").asText("");
        // tfjs-layers writes e.g. "tfjs-layers 4.22.0"; its configurations follow Keras 2.
        copy.put("keras_version", !version.isEmpty() && Character.isDigit(version.charAt(0)) ? version : "2.2.4");
        copy.put("backend", topology.path("backend").asText("tensorflow"));
        return copy;
    }

    /**
     * Derives the input from the {@code batch_input_shape} of the model's single input layer
     * ({@code [null, height, width, channels]}, TF.js's NHWC layout).
     *
     * @return the input spec, or empty when the model has several inputs or a non-image input shape
     */
    public Optional<InputSpec> inputSpec() {
        JsonNode config = kerasModelConfig();
        JsonNode layers = config.path("config").isArray() ? config.get("config") : config.path("config").path("layers");
        List<JsonNode> shapes = new ArrayList<>();
        for (JsonNode layer : layers) {
            JsonNode shape = layer.path("config").path("batch_input_shape");
            if ("InputLayer".equals(layer.path("class_name").asText()) || (shapes.isEmpty() && shape.isArray()
                    && "Sequential".equals(config.path("class_name").asText()))) {
                shapes.add(shape);
            }
        }
        if (shapes.size() != 1) {
            return Optional.empty();
        }
        JsonNode s = shapes.get(0);
        if (s.size() != 4 || !s.get(1).canConvertToInt() || !s.get(2).canConvertToInt() || !s.get(3).canConvertToInt()
                || s.get(1).asInt() <= 0 || s.get(2).asInt() <= 0 || s.get(3).asInt() <= 0) {
            return Optional.empty();
        }
        return Optional.of(new InputSpec(s.get(1).asInt(), s.get(2).asInt(), s.get(3).asInt(), DataFormat.NHWC));
    }

    /**
     * Returns the file a manifest shard path refers to in this model's layout.
     *
     * @param manifestPath a path from {@link WeightGroup#paths()}
     * @return the shard file
     */
    public Path shardFile(String manifestPath) {
        return layout.locate(file.getParent(), manifestPath);
    }

    /**
     * Reads and decodes every weight.
     *
     * @return the weights by manifest name ({@code layer/param}), in manifest order, as float arrays of their shape
     * @throws TfjsFormatException naming the files when a shard is missing, unreadable or of the wrong total size,
     *                             or a weight name repeats
     */
    public Map<String, INDArray> readWeights() {
        Map<String, INDArray> result = new LinkedHashMap<>();
        for (WeightGroup group : manifest) {
            ByteBuffer data = readGroup(group);
            for (WeightSpec spec : group.weights()) {
                float[] values = spec.decode(data);
                INDArray array = spec.shape().length == 0 ? Nd4j.scalar(values[0])
                        : Nd4j.create(values, spec.shape(), 'c');
                if (result.put(spec.name(), array) != null) {
                    throw new TfjsFormatException("The weightsManifest of " + file + " lists the weight '" + spec.name()
                            + "' twice.");
                }
            }
        }
        return result;
    }

    private ByteBuffer readGroup(WeightGroup group) {
        long expected = group.byteLength();
        List<Path> shards = new ArrayList<>();
        List<byte[]> parts = new ArrayList<>();
        long total = 0;
        for (String path : group.paths()) {
            Path shard = shardFile(path);
            shards.add(shard);
            if (!Files.isRegularFile(shard)) {
                throw new TfjsFormatException("The weight shard " + shard + " listed in the weightsManifest of " + file
                        + " (path '" + path + "') does not exist.");
            }
            try {
                byte[] bytes = layout.read(shard);
                parts.add(bytes);
                total += bytes.length;
            } catch (IOException e) {
                throw new TfjsFormatException("Could not read the weight shard " + shard + " of " + file + ": "
                        + e.getMessage(), e);
            }
        }
        if (total != expected) {
            throw new TfjsFormatException("The weight shards " + shards + " of " + file + " hold " + total
                    + " bytes, but the weightsManifest describes " + expected + " bytes for their "
                    + group.weights().size() + " weights; a shard is truncated, missing data or belongs to another model.");
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new TfjsFormatException("The weight group " + shards + " of " + file + " holds " + total
                    + " bytes; groups over 2 GB are not supported.");
        }
        ByteBuffer data = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        parts.forEach(data::put);
        return data.flip();
    }

    @Override
    public String toString() {
        int weights = manifest.stream().mapToInt(g -> g.weights().size()).sum();
        return "TfjsModel(file=" + file + ", layout=" + layout + ", weights=" + weights + ", groups=" + manifest.size()
                + ", info=" + info + ")";
    }
}
