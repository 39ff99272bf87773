package dev.transferkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
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
 * layers, labels, provenance), which the builder {@link #read()} returns holds; any setting made on that builder
 * overrides it. A plain DL4J zip has no such metadata, so {@link BaseModel.Builder#setInputSpec} and
 * {@link BaseModel.Builder#setPreprocessing} are then required:
 * <pre>{@code
 * BaseModel model = Dl4jZipSource.of(Path.of("plain.zip")).read()
 *         .setInputSpec(new InputSpec(224, 224, 3, DataFormat.NCHW)).setPreprocessing(Preprocessing.CAFFE).build();
 * }</pre>
 */
public final class Dl4jZipSource implements ModelSource {
    private static final String WHAT = "DL4J model zip";
    private static final String CONFIGURATION = "configuration.json";
    private static final String COEFFICIENTS = "coefficients.bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    private Dl4jZipSource(Path file) {
        this.file = file;
    }

    /**
     * Returns the source of a DL4J model zip.
     *
     * @param file the zip
     * @return the source; the file is read by {@link #read()}
     */
    public static Dl4jZipSource of(Path file) {
        return new Dl4jZipSource(Objects.requireNonNull(file, "A Dl4jZipSource needs the path of a model zip, but got null."));
    }

    /**
     * Reads the model.
     *
     * @return a builder with the network and, for a zip with TransferKit metadata, everything it records; for a plain
     *         zip, the file's base name and the provenance ({@code source}, {@code file}, {@code networkType}), the
     *         input spec and the preprocessing still to be set
     * @throws ModelLoadException naming the file when it is missing, not a zip, damaged or not a DL4J model
     */
    @Override
    public BaseModel.Builder read() {
        Path zip = ModelFiles.requireFile(file, WHAT);
        JsonNode configuration = readConfiguration(zip);
        Optional<ModelArchive.Metadata> metadata = ModelArchive.readMetadata(zip);
        ComputationGraph graph = restore(zip, configuration);
        if (metadata.isPresent()) {
            return ModelArchive.fromMetadata(zip, graph, metadata.get()).toBuilder();
        }
        return BaseModel.builder()
                .setName(ModelFiles.baseName(zip))
                .setGraph(graph)
                .optProvenance("source", WHAT)
                .optProvenance("file", zip.toString())
                .optProvenance("networkType", configuration.has("vertices") ? "ComputationGraph" : "MultiLayerNetwork (converted)")
                .undeclared("The " + WHAT + " " + zip + " carries no TransferKit metadata, so its input size and"
                        + " preprocessing are unknown.");
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
        return "Dl4jZipSource(file=" + file + ")";
    }
}
