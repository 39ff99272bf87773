package dev.transferkit.model.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasLayer;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Imports a TensorFlow.js layers model ({@link TfjsModel}, from either layout) into a DL4J {@link ComputationGraph}
 * through DL4J's Keras import: the Keras configuration is built with
 * {@code KerasModel.modelBuilder().modelJson(...).enforceTrainingConfig(false)}, each layer gets its decoded
 * weights, and the graph is created with the weights copied in.
 *
 * <p>Before handing the configuration to DL4J it is adjusted where TF.js and DL4J disagree: numeric fields that
 * DL4J casts to {@code Double} (TF.js writes {@code max_value: 6} for ReLU) are rewritten as doubles, and a
 * {@code Sequential} topology is rewritten as the equivalent functional model so that layer names are kept.
 */
public final class TfjsImporter {
    private static final Logger LOG = LoggerFactory.getLogger(TfjsImporter.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Layer config fields that DL4J 1.0.0-M2.1 casts to Double, by Keras layer class. */
    private static final Map<String, Set<String>> DOUBLE_FIELDS = Map.of(
            "ReLU", Set.of("max_value", "negative_slope", "threshold"),
            "BatchNormalization", Set.of("momentum", "epsilon"));

    private TfjsImporter() {
    }

    /**
     * Imports a TF.js layers model.
     *
     * @param model the model
     * @return the initialised network with the model's weights; NHWC input as in TF.js
     * @throws TfjsFormatException naming the model file when a layer is unsupported, the configuration is invalid,
     *                             or the weights do not fit the layers
     */
    public static ComputationGraph importGraph(TfjsModel model) {
        String file = model.file().toString();
        ObjectNode config = kerasConfig(model);
        KerasModel keras;
        try {
            keras = new KerasModel().modelBuilder()
                    .modelJson(config.toString())
                    .enforceTrainingConfig(false)
                    .buildModel();
        } catch (UnsupportedKerasConfigurationException e) {
            throw new TfjsFormatException("DL4J cannot import a layer of the TF.js model " + file
                    + culprit(config, e.getMessage()) + ": " + e.getMessage(), e);
        } catch (InvalidKerasConfigurationException | IOException | RuntimeException e) {
            throw new TfjsFormatException("DL4J rejected the Keras configuration of the TF.js model " + file
                    + culprit(config, String.valueOf(e.getMessage())) + ": " + e.getMessage(), e);
        }
        setWeights(keras, model.readWeights(), file);
        try {
            return keras.getComputationGraph(true);
        } catch (InvalidKerasConfigurationException | UnsupportedKerasConfigurationException | RuntimeException e) {
            throw new TfjsFormatException("DL4J could not build the network of the TF.js model " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Returns the Keras configuration as it is handed to DL4J, after the adjustments described above.
     *
     * @param model the model
     * @return a fresh configuration {@code {class_name, config, keras_version, backend}}
     */
    static ObjectNode kerasConfig(TfjsModel model) {
        ObjectNode config = model.kerasModelConfig();
        if ("Sequential".equals(config.path("class_name").asText())) {
            config = functional(config, model.file().toString());
        }
        for (JsonNode layer : config.path("config").path("layers")) {
            Set<String> fields = DOUBLE_FIELDS.get(layer.path("class_name").asText());
            JsonNode layerConfig = layer.path("config");
            if (fields != null && layerConfig.isObject()) {
                for (String f : fields) {
                    JsonNode v = layerConfig.get(f);
                    if (v != null && v.isNumber() && !v.isDouble()) {
                        ((ObjectNode) layerConfig).put(f, v.doubleValue());
                    }
                }
            }
        }
        return config;
    }

    /** Rewrites a Sequential configuration as a functional one with the same layer names. */
    private static ObjectNode functional(ObjectNode sequential, String file) {
        JsonNode inner = sequential.get("config");
        JsonNode layers = inner.isArray() ? inner : inner.path("layers");
        if (layers.isEmpty()) {
            throw new TfjsFormatException("The Sequential model in " + file + " has no layers.");
        }
        ArrayNode out = NODES.arrayNode();
        String previous;
        JsonNode first = layers.get(0);
        boolean explicitInput = "InputLayer".equals(first.path("class_name").asText());
        if (explicitInput) {
            ObjectNode input = first.deepCopy();
            input.set("inbound_nodes", NODES.arrayNode());
            input.put("name", first.path("config").path("name").asText());
            out.add(input);
            previous = input.get("name").asText();
        } else {
            JsonNode shape = first.path("config").path("batch_input_shape");
            if (!shape.isArray()) {
                throw new TfjsFormatException("The first layer of the Sequential model in " + file
                        + " has no batch_input_shape, so its input size is unknown.");
            }
            previous = first.path("config").path("name").asText("sequential") + "_input";
            ObjectNode inputConfig = NODES.objectNode();
            inputConfig.set("batch_input_shape", shape);
            inputConfig.put("dtype", first.path("config").path("dtype").asText("float32"));
            inputConfig.put("sparse", false);
            inputConfig.put("name", previous);
            ObjectNode input = NODES.objectNode();
            input.put("class_name", "InputLayer");
            input.put("name", previous);
            input.set("config", inputConfig);
            input.set("inbound_nodes", NODES.arrayNode());
            out.add(input);
        }
        for (int i = explicitInput ? 1 : 0; i < layers.size(); i++) {
            ObjectNode layer = layers.get(i).deepCopy();
            String name = layer.path("config").path("name").asText();
            if (name.isEmpty()) {
                throw new TfjsFormatException("Layer " + i + " of the Sequential model in " + file + " has no name.");
            }
            layer.put("name", name);
            ArrayNode node = NODES.arrayNode().add(NODES.arrayNode().add(previous).add(0).add(0).add(NODES.objectNode()));
            layer.set("inbound_nodes", NODES.arrayNode().add(node));
            out.add(layer);
            previous = name;
        }
        ObjectNode config = NODES.objectNode();
        config.put("name", inner.path("name").asText("sequential"));
        config.set("layers", out);
        config.set("input_layers", NODES.arrayNode().add(NODES.arrayNode().add(out.get(0).get("name").asText()).add(0).add(0)));
        config.set("output_layers", NODES.arrayNode().add(NODES.arrayNode().add(previous).add(0).add(0)));
        ObjectNode model = sequential.deepCopy();
        model.put("class_name", "Model");
        model.set("config", config);
        return model;
    }

    /** Gives each Keras layer its weights; manifest names are {@code <layer>/<param>}. */
    private static void setWeights(KerasModel keras, Map<String, INDArray> weights, String file) {
        Map<String, KerasLayer> layers = keras.getLayers();
        List<String> names = new ArrayList<>(layers.keySet());
        names.sort(Comparator.comparingInt(String::length).reversed());
        Map<String, Map<String, INDArray>> byLayer = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> w : weights.entrySet()) {
            String layer = names.stream().filter(n -> w.getKey().startsWith(n + "/")).findFirst().orElseThrow(() ->
                    new TfjsFormatException("The weight '" + w.getKey() + "' in the weightsManifest of " + file
                            + " belongs to no layer of the model; its name must be '<layer name>/<parameter>'."));
            String param = w.getKey().substring(layer.length() + 1).replaceFirst(":\\d+$", "");
            param = param.substring(param.lastIndexOf('/') + 1);
            byLayer.computeIfAbsent(layer, k -> new HashMap<>()).put(param, w.getValue());
        }
        for (KerasLayer layer : keras.getLayersOrdered()) {
            Map<String, INDArray> params = byLayer.get(layer.getLayerName());
            if (params == null) {
                if (layer.getNumParams() > 0) {
                    throw new TfjsFormatException("The layer '" + layer.getLayerName() + "' (" + layer.getClassName()
                            + ") of the TF.js model " + file + " has parameters but the weightsManifest has no weights for it.");
                }
                continue;
            }
            try {
                layer.setWeights(params);
            } catch (InvalidKerasConfigurationException | RuntimeException e) {
                throw new TfjsFormatException("The weights " + params.keySet() + " of the layer '" + layer.getLayerName()
                        + "' (" + layer.getClassName() + ") in " + file + " do not fit it: " + e.getMessage(), e);
            }
        }
        LOG.debug("Set the weights of {} layers from {}", byLayer.size(), file);
    }

    /** @return " (layer 'x', class Y)" for the first layer whose class the DL4J message names, or "" */
    private static String culprit(ObjectNode config, String message) {
        for (JsonNode layer : config.path("config").path("layers")) {
            String cls = layer.path("class_name").asText();
            if (!cls.isEmpty() && Pattern.compile("\\b" + Pattern.quote(cls) + "\\b").matcher(message).find()) {
                return " (layer '" + layer.path("name").asText(layer.path("config").path("name").asText())
                        + "', class " + cls + ")";
            }
        }
        return "";
    }
}
