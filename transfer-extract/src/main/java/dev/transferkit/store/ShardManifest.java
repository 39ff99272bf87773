package dev.transferkit.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.transferkit.core.AtomicFiles;
import dev.transferkit.extract.Pooling;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksums;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The manifest of a sharded feature store: a directory of ordinary store files (shards), all written with one
 * {@link StoreSpec}, plus {@value #FILE_NAME} listing them in order with their row counts, sizes and SHA-256 checksums.
 * {@link FeatureStore#open(Path)} on the directory reads the shards as one store whose rows are the shards' rows in
 * manifest order. The manifest is written last and atomically, so a directory with a manifest is a complete store;
 * STORE-FORMAT.md specifies the JSON. Instances are immutable.
 */
public final class ShardManifest {
    /** The manifest's file name inside a sharded store directory. */
    public static final String FILE_NAME = "manifest.json";
    /** The value of the manifest's {@code format} field. */
    public static final String FORMAT_NAME = "transferkit-sharded-feature-store";
    /** The manifest format version this code writes and reads. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Shard names are plain file names in the store directory: no separators, no leading dot. */
    private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.=-]*");

    /**
     * One shard: a complete store file in the manifest's directory.
     *
     * @param file     the file name, relative to the directory (e.g. {@code part-00003.h5})
     * @param rows     its committed rows
     * @param failures its recorded failures
     * @param bytes    its size in bytes
     * @param sha256   its SHA-256 checksum, 64 lower-case hex digits
     */
    public record Shard(String file, long rows, long failures, long bytes, String sha256) {
        /**
         * Validates the fields.
         *
         * @throws IllegalArgumentException naming the invalid field
         */
        public Shard {
            if (file == null || !SHARD_NAME.matcher(file).matches()) {
                throw new IllegalArgumentException("The shard file name '" + file + "' is not a plain file name (letters,"
                        + " digits, '_', '.', '=', '-', not starting with a dot).");
            }
            if (rows < 0 || failures < 0 || bytes < 0) {
                throw new IllegalArgumentException("The shard " + file + " has a negative count: rows=" + rows
                        + ", failures=" + failures + ", bytes=" + bytes + ".");
            }
            if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("The SHA-256 of the shard " + file + " must be 64 lower-case hex digits,"
                        + " but was '" + sha256 + "'.");
            }
        }

        /**
         * Describes a finished shard file: counts its rows and failures from its header and checksums it.
         *
         * @param file a complete store file
         * @return the shard entry, named by the file's name
         * @throws StoreException when the file is not a complete store
         */
        public static Shard of(Path file) {
            long rows;
            long failures;
            try (FeatureStore store = FeatureStore.open(file)) {
                rows = store.rows();
                failures = store.failures().size();
            }
            try {
                return new Shard(file.getFileName().toString(), rows, failures, Files.size(file), Checksums.sha256(file));
            } catch (IOException | RuntimeException e) {
                throw new StoreException(file, "Could not checksum the shard " + file + " (" + e.getMessage() + ").", e);
            }
        }
    }

    private final StoreSpec spec;
    private final List<Shard> shards;
    private final String created;
    private final Map<String, String> provenance;

    private ShardManifest(StoreSpec spec, List<Shard> shards, String created, Map<String, String> provenance) {
        this.spec = spec;
        this.shards = List.copyOf(shards);
        this.created = created;
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    /**
     * Creates a manifest.
     *
     * @param spec       the spec every shard was written with
     * @param shards     the shards in row order; at least one, names unique
     * @param provenance free-form details (tool versions, source, ...)
     * @return the manifest, created now
     * @throws IllegalArgumentException when there are no shards or a name repeats
     */
    public static ShardManifest of(StoreSpec spec, List<Shard> shards, Map<String, String> provenance) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(provenance, "provenance");
        if (shards == null || shards.isEmpty()) {
            throw new IllegalArgumentException("A sharded store needs at least one shard, but none were given.");
        }
        Set<String> names = new HashSet<>();
        for (Shard s : shards) {
            if (!names.add(s.file())) {
                throw new IllegalArgumentException("The shard " + s.file() + " is listed twice.");
            }
        }
        return new ShardManifest(spec, shards, Instant.now().toString(), provenance);
    }

    /**
     * Returns whether a path is a sharded store directory, i.e. a directory holding {@value #FILE_NAME}.
     *
     * @param path any path
     * @return true when {@code path/manifest.json} is a regular file
     */
    public static boolean isShardedStore(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(FILE_NAME));
    }

    /**
     * Reads the manifest of a sharded store directory.
     *
     * @param dir the store directory
     * @return the manifest
     * @throws StoreException       when the directory or its manifest does not exist or cannot be read
     * @throws StoreFormatException when the manifest is not a valid manifest of a version this code reads
     */
    public static ShardManifest read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new StoreException(dir, "The directory " + dir + " is not a sharded feature store: it has no "
                    + FILE_NAME + " (the extraction did not finish, or this is not a store directory).");
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file);
        } catch (IOException e) {
            throw new StoreException(file, "Could not read the shard manifest " + file + " (" + e + ").", e);
        }
    }

    /**
     * Parses manifest JSON, e.g. read from a Hadoop file system.
     *
     * @param json   the manifest text
     * @param source where it came from, for messages
     * @return the manifest
     * @throws StoreFormatException naming {@code source} when the text is not a valid manifest
     */
    public static ShardManifest parse(String json, Path source) {
        String field = "format";
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject() || !FORMAT_NAME.equals(root.path("format").asText())) {
                throw new StoreFormatException(source, "The file " + source + " is not a TransferKit shard manifest (its"
                        + " 'format' is not '" + FORMAT_NAME + "').");
            }
            field = "format_version";
            int version = root.path("format_version").asInt(-1);
            if (version > VERSION || version < 1) {
                throw new StoreFormatException(source, "The shard manifest " + source + " has format version " + version
                        + ", but this TransferKit reads version " + VERSION + " only"
                        + (version > VERSION ? "; upgrade TransferKit to read it." : "."));
            }
            field = "spec";
            StoreSpec spec = specFromJson(require(root, "spec"));
            field = "shards";
            List<Shard> shards = new ArrayList<>();
            for (JsonNode s : require(root, "shards")) {
                shards.add(new Shard(require(s, "file").asText(), require(s, "rows").asLong(), require(s, "failures").asLong(),
                        require(s, "bytes").asLong(), require(s, "sha256").asText()));
            }
            field = "provenance";
            Map<String, String> provenance = root.has("provenance")
                    ? JSON.convertValue(root.get("provenance"), new TypeReference<LinkedHashMap<String, String>>() { })
                    : Map.of();
            ShardManifest m = of(spec, shards, provenance);
            field = "rows";
            if (root.has("rows") && root.get("rows").asLong() != m.rows()) {
                throw new IllegalArgumentException("it says " + root.get("rows").asLong() + " rows but its shards hold "
                        + m.rows());
            }
            return new ShardManifest(spec, shards, root.path("created").asText(""), provenance);
        } catch (StoreException e) {
            throw e;
        } catch (JsonProcessingException | RuntimeException e) {
            throw new StoreFormatException(source, "The shard manifest " + source + " has a missing or malformed '" + field
                    + "' field (" + e.getMessage() + "); the file is damaged or was not written by TransferKit.", e);
        }
    }

    private static JsonNode require(JsonNode node, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("the field '" + name + "' is missing");
        }
        return v;
    }

    private static StoreSpec specFromJson(JsonNode s) {
        return StoreSpec.builder()
                .setModel(require(s, StoreHeader.MODEL).asText())
                .setLayer(require(s, StoreHeader.LAYER).asText())
                .setPooling(Pooling.valueOf(require(s, StoreHeader.POOLING).asText()))
                .setPreprocessing(Preprocessing.fromMap(JSON.convertValue(require(s, StoreHeader.PREPROCESSING),
                        new TypeReference<Map<String, Object>>() { })))
                .setInputSpec(StoreHeader.inputSpecFromMap(JSON.convertValue(require(s, StoreHeader.INPUT_SPEC),
                        new TypeReference<Map<String, Object>>() { })))
                .optImageOptions(s.has(StoreHeader.IMAGE_OPTIONS) ? ImageOptions.fromMap(JSON.convertValue(
                        s.get(StoreHeader.IMAGE_OPTIONS), new TypeReference<Map<String, Object>>() { })) : ImageOptions.defaults())
                .setFeatureDim(require(s, StoreHeader.FEATURE_DIM).asInt())
                .setLabelNames(JSON.convertValue(require(s, StoreHeader.LABEL_NAMES), new TypeReference<List<String>>() { }))
                .build();
    }

    /**
     * Returns the manifest as JSON text (what {@link #write} stores).
     *
     * @return indented JSON
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT_NAME);
        root.put("format_version", VERSION);
        root.put("created", created);
        ObjectNode s = root.putObject("spec");
        s.put(StoreHeader.MODEL, spec.model());
        s.put(StoreHeader.LAYER, spec.layer());
        s.put(StoreHeader.POOLING, spec.pooling().name());
        s.set(StoreHeader.PREPROCESSING, JSON.valueToTree(spec.preprocessing().toMap()));
        s.set(StoreHeader.INPUT_SPEC, JSON.valueToTree(StoreHeader.inputSpecToMap(spec.inputSpec())));
        s.set(StoreHeader.IMAGE_OPTIONS, JSON.valueToTree(spec.imageOptions().toMap()));
        s.put(StoreHeader.FEATURE_DIM, spec.featureDim());
        s.set(StoreHeader.LABEL_NAMES, JSON.valueToTree(spec.labelNames()));
        root.put("rows", rows());
        root.put("failures", failures());
        ArrayNode list = root.putArray("shards");
        for (Shard shard : shards) {
            ObjectNode o = list.addObject();
            o.put("file", shard.file());
            o.put("rows", shard.rows());
            o.put("failures", shard.failures());
            o.put("bytes", shard.bytes());
            o.put("sha256", shard.sha256());
        }
        root.set("provenance", JSON.valueToTree(provenance));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Could not write the shard manifest as JSON.", e);
        }
    }

    /**
     * Writes {@value #FILE_NAME} into a store directory atomically (temporary file, then rename): readers see either
     * no manifest or the whole one.
     *
     * @param dir the store directory holding the shards
     * @throws StoreException when the file cannot be written
     */
    public void write(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            AtomicFiles.write(file, out -> out.write(toJson().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new StoreException(file, "Could not write the shard manifest " + file + " (" + e + ").", e);
        }
    }

    /**
     * Checks every shard of a store directory against this manifest: present, of the recorded size and SHA-256.
     * Reads every byte; {@link FeatureStore#open(Path)} checks only presence and size.
     *
     * @param dir the store directory
     * @throws StoreFormatException naming the first shard that is missing, or differs in size or checksum
     */
    public void verifyChecksums(Path dir) {
        requireShardFiles(dir);
        for (Shard s : shards) {
            Path file = dir.resolve(s.file());
            String actual = Checksums.sha256(file);
            if (!actual.equals(s.sha256())) {
                throw new StoreFormatException(file, "The shard " + file + " has SHA-256 " + actual + " but the manifest "
                        + dir.resolve(FILE_NAME) + " records " + s.sha256() + "; the file was changed or damaged after"
                        + " extraction. Copy it again, or rerun the extraction.");
            }
        }
    }

    /** Checks that every shard file exists with its recorded size. */
    void requireShardFiles(Path dir) {
        for (Shard s : shards) {
            Path file = dir.resolve(s.file());
            long size;
            try {
                size = Files.size(file);
            } catch (IOException e) {
                throw new StoreFormatException(file, "The shard " + file + " listed in " + dir.resolve(FILE_NAME)
                        + " is missing or unreadable (" + e + "); copy the whole store directory, or rerun the extraction.", e);
            }
            if (size != s.bytes()) {
                throw new StoreFormatException(file, "The shard " + file + " has " + size + " bytes but the manifest "
                        + dir.resolve(FILE_NAME) + " records " + s.bytes() + "; it was truncated or replaced after extraction.");
            }
        }
    }

    /** @return the spec every shard was written with */
    public StoreSpec spec() {
        return spec;
    }

    /** @return the shards, in row order */
    public List<Shard> shards() {
        return shards;
    }

    /** @return the rows of all shards */
    public long rows() {
        return shards.stream().mapToLong(Shard::rows).sum();
    }

    /** @return the failures of all shards */
    public long failures() {
        return shards.stream().mapToLong(Shard::failures).sum();
    }

    /** @return when the manifest was created, ISO-8601 */
    public String created() {
        return created;
    }

    /** @return the free-form provenance, unmodifiable */
    public Map<String, String> provenance() {
        return provenance;
    }

    @Override
    public String toString() {
        return "ShardManifest(" + shards.size() + " shards, rows=" + rows() + ", failures=" + failures() + ", " + spec + ")";
    }
}
