package dev.transferkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads a Keras model saved as one HDF5 file ({@code model.save("model.h5")}: architecture plus weights) through
 * DL4J's Keras import. Functional models become a {@code ComputationGraph}; Sequential models are imported as a
 * {@code MultiLayerNetwork} and converted.
 *
 * <p>The input spec comes from the model's input shape: {@code channels_last} models (the Keras default) take NHWC
 * batches, {@code channels_first} ones NCHW. The model is named after the file. The preprocessing cannot be read from
 * the file and must be set on the builder {@link #read()} returns:
 * <pre>{@code
 * BaseModel model = KerasSource.of(Path.of("model.h5")).read().setPreprocessing(Preprocessing.TF).build();
 * }</pre>
 */
public final class KerasSource implements ModelSource {
    private static final String WHAT = "Keras HDF5 file";
    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    private KerasSource(Path file) {
        this.file = file;
    }

    /**
     * Returns the source of a Keras HDF5 file.
     *
     * @param file the Keras {@code .h5} file
     * @return the source; the file is read by {@link #read()}
     */
    public static KerasSource of(Path file) {
        return new KerasSource(Objects.requireNonNull(file, "A KerasSource needs the path of a Keras .h5 file, but got null."));
    }

    /**
     * Imports the model.
     *
     * @return a builder with the network, the file's base name, the input spec and the provenance ({@code source},
     *         {@code file}, {@code kerasModelClass}, {@code kerasVersion}, {@code kerasBackend}); the preprocessing
     *         must still be set
     * @throws ModelLoadException naming the file when it is missing, not HDF5, not a Keras model, not a single-input
     *                            image model, or uses a layer DL4J cannot import
     */
    @Override
    public BaseModel.Builder read() {
        Path h5 = ModelFiles.requireFile(file, WHAT);
        requireHdf5(h5);
        Map<String, String> attributes = readKerasAttributes(h5);
        JsonNode config;
        try {
            config = JSON.readTree(attributes.get("model_config"));
        } catch (IOException e) {
            throw new ModelLoadException("The model_config attribute of " + h5 + " is not valid JSON: " + e.getMessage(), e);
        }
        String modelClass = config.path("class_name").asText("");
        boolean sequential = modelClass.equals("Sequential");
        if (!sequential && !modelClass.equals("Model") && !modelClass.equals("Functional")) {
            throw new ModelLoadException("The " + WHAT + " " + h5 + " holds a Keras model of class '" + modelClass
                    + "'; only Sequential and functional (Model) models can be imported.");
        }
        InputSpec spec = inputSpec(h5, config, sequential);
        return BaseModel.builder()
                .setName(ModelFiles.baseName(h5))
                .setGraph(importGraph(h5, sequential))
                .setInputSpec(spec)
                .optProvenance("source", WHAT)
                .optProvenance("file", h5.toString())
                .optProvenance("kerasModelClass", modelClass)
                .optProvenance("kerasVersion", attributes.getOrDefault("keras_version", "unknown"))
                .optProvenance("kerasBackend", attributes.getOrDefault("backend", "unknown"))
                .undeclared("The " + WHAT + " " + h5 + " does not record the preprocessing its model was trained with"
                        + " (e.g. Preprocessing.TF for Keras MobileNet/Inception/Xception, CAFFE for VGG/ResNet).");
    }

    private static void requireHdf5(Path h5) {
        try {
            long size = Files.size(h5);
            // The HDF5 superblock is at offset 0, 512, 1024, 2048, ... (a user block may precede it).
            for (long offset = 0; offset + HDF5_SIGNATURE.length <= size; offset = offset == 0 ? 512 : offset * 2) {
                if (Arrays.equals(ModelFiles.readBytes(h5, offset, HDF5_SIGNATURE.length), HDF5_SIGNATURE)) {
                    return;
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException("Could not read the " + WHAT + " " + h5 + ": " + e.getMessage(), e);
        }
        throw new ModelLoadException("The file " + h5 + " is not an HDF5 file (it has no HDF5 signature); KerasSource reads "
                + "Keras models saved with model.save(\"model.h5\").");
    }

    private static Map<String, String> readKerasAttributes(Path h5) {
        Map<String, String> attributes = new LinkedHashMap<>();
        try (Hdf5Archive archive = new Hdf5Archive(h5.toString())) {
            if (!archive.hasAttribute("model_config")) {
                throw new ModelLoadException("The file " + h5 + " is an HDF5 file but not a Keras model: it has no model_config "
                        + "attribute. Files written by save_weights() hold no architecture; save the model with model.save().");
            }
            attributes.put("model_config", archive.readAttributeAsJson("model_config"));
            for (String key : List.of("keras_version", "backend")) {
                if (archive.hasAttribute(key)) {
                    attributes.put(key, archive.readAttributeAsString(key));
                }
            }
            return attributes;
        } catch (UnsupportedKerasConfigurationException | RuntimeException e) {
            if (e instanceof ModelLoadException m) {
                throw m;
            }
            throw new ModelLoadException("Could not read the Keras attributes of " + h5 + ": " + e.getMessage(), e);
        }
    }

    private static InputSpec inputSpec(Path h5, JsonNode config, boolean sequential) {
        JsonNode body = config.path("config");
        JsonNode layers = body.isArray() ? body : body.path("layers");
        List<JsonNode> shapes = new ArrayList<>();
        boolean channelsFirst = false;
        for (JsonNode layer : layers) {
            JsonNode layerConfig = layer.path("config");
            if ("channels_first".equals(layerConfig.path("data_format").asText())) {
                channelsFirst = true;
            }
            boolean input = sequential ? shapes.isEmpty() && layerConfig.has("batch_input_shape")
                    : "InputLayer".equals(layer.path("class_name").asText());
            if (input) {
                shapes.add(layerConfig.path("batch_input_shape"));
            }
        }
        if (shapes.size() != 1) {
            throw new ModelLoadException("The Keras model in " + h5 + " has " + shapes.size() + " declared inputs; KerasSource "
                    + "needs exactly one image input with a known shape.");
        }
        JsonNode shape = shapes.get(0);
        if (shape.size() != 4 || !shape.get(1).canConvertToInt() || !shape.get(2).canConvertToInt()
                || !shape.get(3).canConvertToInt()) {
            throw new ModelLoadException("The Keras model in " + h5 + " has input shape " + shape + "; KerasSource needs an "
                    + "image input [batch, height, width, channels] (or channels first) with fixed sizes.");
        }
        int a = shape.get(1).asInt();
        int b = shape.get(2).asInt();
        int c = shape.get(3).asInt();
        return channelsFirst ? new InputSpec(b, c, a, DataFormat.NCHW) : new InputSpec(a, b, c, DataFormat.NHWC);
    }

    private static ComputationGraph importGraph(Path h5, boolean sequential) {
        try {
            return sequential
                    ? KerasModelImport.importKerasSequentialModelAndWeights(h5.toString(), false).toComputationGraph()
                    : KerasModelImport.importKerasModelAndWeights(h5.toString(), false);
        } catch (UnsupportedKerasConfigurationException e) {
            throw new ModelLoadException("The Keras model in " + h5 + " uses a layer or setting that DL4J's Keras import does not "
                    + "support: " + e.getMessage(), e);
        } catch (InvalidKerasConfigurationException e) {
            throw new ModelLoadException("The Keras model in " + h5 + " has an invalid configuration: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("DL4J could not import the Keras model in " + h5 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "KerasSource(file=" + file + ")";
    }
}
