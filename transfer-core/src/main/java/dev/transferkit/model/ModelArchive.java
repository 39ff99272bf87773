package dev.transferkit.model;

import com.fasterxml.jackson.core.type.TypeReference;
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

    private static Map<String, Object> metadata(BaseModel model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "transferkit-basemodel");
        m.put("version", 1);
        m.put("name", model.name());
        InputSpec s = model.inputSpec();
        m.put("input", Map.of("height", s.height(), "width", s.width(), "channels", s.channels(), "format", s.format().name()));
        m.put("preprocessing", model.preprocessing().toMap());
        m.put("featureLayers", model.featureLayers());
        m.put("labels", model.labels());
        m.put("provenance", model.provenance());
        return m;
    }

    /**
     * Reads the metadata entry of a zip, if it has one.
     *
     * @param file a DL4J zip
     * @return the metadata, or empty when the zip carries none
     */
    static Optional<Map<String, Object>> readMetadata(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry e = zip.getEntry(METADATA_ENTRY);
            if (e == null) {
                return Optional.empty();
            }
            try (InputStream in = zip.getInputStream(e)) {
                return Optional.of(JSON.readValue(in, new TypeReference<Map<String, Object>>() { }));
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
        Map<String, Object> metadata = readMetadata(file).orElseThrow(() -> new ModelLoadException("The file " + file
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
    @SuppressWarnings("unchecked")
    static BaseModel fromMetadata(Path file, ComputationGraph graph, Map<String, Object> metadata) {
        try {
            Map<String, Object> in = (Map<String, Object>) metadata.get("input");
            InputSpec spec = new InputSpec(((Number) in.get("height")).intValue(), ((Number) in.get("width")).intValue(),
                    ((Number) in.get("channels")).intValue(), DataFormat.valueOf((String) in.get("format")));
            Map<String, String> provenance = new LinkedHashMap<>((Map<String, String>) metadata.get("provenance"));
            return BaseModel.builder()
                    .setName((String) metadata.get("name"))
                    .setGraph(graph)
                    .setInputSpec(spec)
                    .setPreprocessing(Preprocessing.fromMap((Map<String, Object>) metadata.get("preprocessing")))
                    .optFeatureLayers((List<String>) metadata.get("featureLayers"))
                    .optLabels((List<String>) metadata.get("labels"))
                    .optProvenance(provenance)
                    .build();
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new ModelLoadException("The TransferKit metadata in " + file + " (entry " + METADATA_ENTRY
                    + ") is malformed: " + e.getMessage(), e);
        }
    }
}
