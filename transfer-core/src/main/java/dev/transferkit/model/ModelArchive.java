package dev.transferkit.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.core.AtomicFiles;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes a {@link BaseModel} as a DL4J model zip with one extra entry, {@value #METADATA_ENTRY},
 * holding the TransferKit metadata (name, input spec, preprocessing, feature layers, labels, provenance).
 * DL4J's own {@code ModelSerializer} ignores the extra entry, so the file stays a valid DL4J zip.
 */
final class ModelArchive {
    /** The zip entry that carries the metadata. */
    static final String METADATA_ENTRY = "transferkit-model.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelArchive() {
    }

    static void write(BaseModel model, Path file) {
        try {
            Path dl4j = Files.createTempFile(file.toAbsolutePath().getParent(), ".dl4j-", ".zip");
            try {
                ModelSerializer.writeModel(model.graph(), dl4j.toFile(), false);
                AtomicFiles.write(file, out -> {
                    try (ZipOutputStream zip = new ZipOutputStream(out);
                         ZipInputStream in = new ZipInputStream(Files.newInputStream(dl4j))) {
                        for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                            zip.putNextEntry(new ZipEntry(e.getName()));
                            in.transferTo(zip);
                            zip.closeEntry();
                        }
                        zip.putNextEntry(new ZipEntry(METADATA_ENTRY));
                        zip.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metadata(model)));
                        zip.closeEntry();
                    }
                });
            } finally {
                Files.deleteIfExists(dl4j);
            }
        } catch (IOException e) {
            throw new ModelLoadException("Could not write the model '" + model.name() + "' to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The metadata version this code writes; it reads every version up to this one. */
    static final int VERSION = 1;
    static final String FORMAT = "transferkit-basemodel";

    /**
     * The metadata entry, as JSON: what DL4J's zip does not hold.
     *
     * @param format        always {@value #FORMAT}
     * @param version       the metadata version
     * @param name          the model's name
     * @param input         height, width, channels and layout
     * @param preprocessing the preprocessing, as {@link Preprocessing#toMap()}
     * @param featureLayers the recommended feature layers, default first
     * @param labels        the original head's class names
     * @param provenance    where the model came from
     */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record Metadata(String format, int version, String name, Input input, Map<String, Object> preprocessing,
                    List<String> featureLayers, List<String> labels, Map<String, String> provenance) {
    }

    /** The input spec as the metadata writes it. */
    record Input(int height, int width, int channels, String format) {
    }

    private static Metadata metadata(BaseModel model) {
        InputSpec s = model.inputSpec();
        return new Metadata(FORMAT, VERSION, model.name(), new Input(s.height(), s.width(), s.channels(), s.format().name()),
                model.preprocessing().toMap(), model.featureLayers(), model.labels(), model.provenance());
    }

    /**
     * Reads the metadata entry of a zip, if it has one.
     *
     * @param file a DL4J zip
     * @return the metadata, or empty when the zip carries none
     */
    static Optional<Metadata> readMetadata(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry e = zip.getEntry(METADATA_ENTRY);
            if (e == null) {
                return Optional.empty();
            }
            try (InputStream in = zip.getInputStream(e)) {
                return Optional.of(JSON.readValue(in, Metadata.class));
            }
        } catch (IOException e) {
            throw new ModelLoadException("The file " + file + " is not a readable model zip (" + e.getMessage()
                    + "); it may be truncated or not a zip at all.", e);
        }
    }

    /**
     * Restores a model written by {@link #write}.
     *
     * @param file a zip written by {@link BaseModel#save}
     * @return the model
     * @throws ModelLoadException when the file is missing, not a model zip, or carries no TransferKit metadata
     */
    static BaseModel read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("The model file " + file + " does not exist or is not a regular file.");
        }
        Metadata metadata = readMetadata(file).orElseThrow(() -> new ModelLoadException("The file " + file
                + " is a zip but carries no TransferKit metadata (" + METADATA_ENTRY + "); load a plain DL4J zip with "
                + "Dl4jZipSource and give its input spec and preprocessing."));
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(file.toFile(), false);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("Could not restore the network in " + file + " (" + e.getMessage()
                    + "); the file may be truncated or not a DL4J ComputationGraph zip.", e);
        }
        return fromMetadata(file, graph, metadata);
    }

    /**
     * Restores the network of a DL4J zip and applies the metadata.
     *
     * @param file a DL4J zip
     * @param graph the restored network
     * @param metadata metadata written by {@link #write}
     * @return the model
     */
    static BaseModel fromMetadata(Path file, ComputationGraph graph, Metadata metadata) {
        if (!FORMAT.equals(metadata.format())) {
            throw new ModelLoadException("The metadata in " + file + " (entry " + METADATA_ENTRY + ") describes '"
                    + metadata.format() + "', not a TransferKit base model ('" + FORMAT + "').");
        }
        if (metadata.version() > VERSION || metadata.version() < 1) {
            throw new ModelLoadException("The model " + file + " was saved with base-model metadata version "
                    + metadata.version() + ", but this TransferKit reads versions 1 to " + VERSION + (metadata.version() > VERSION
                    ? "; it was written by a newer TransferKit: load it with that version or newer." : "."));
        }
        try {
            Input in = metadata.input();
            InputSpec spec = new InputSpec(in.height(), in.width(), in.channels(), DataFormat.valueOf(in.format()));
            return BaseModel.builder()
                    .setName(metadata.name())
                    .setGraph(graph)
                    .setInputSpec(spec)
                    .setPreprocessing(Preprocessing.fromMap(metadata.preprocessing()))
                    .optFeatureLayers(metadata.featureLayers() == null ? List.of() : metadata.featureLayers())
                    .optLabels(metadata.labels() == null ? List.of() : metadata.labels())
                    .optProvenance(metadata.provenance() == null ? Map.of() : metadata.provenance())
                    .build();
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new ModelLoadException("The TransferKit metadata in " + file + " (entry " + METADATA_ENTRY
                    + ") is malformed: " + e.getMessage(), e);
        }
    }
}
