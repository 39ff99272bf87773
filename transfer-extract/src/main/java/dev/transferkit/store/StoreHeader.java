package dev.transferkit.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.extract.Pooling;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The root attributes of a store file: their names, and the conversion between them and a {@link StoreSpec}.
 * STORE-FORMAT.md documents them; keep the two in step.
 */
final class StoreHeader {
    static final String FORMAT = "format";
    static final String FORMAT_NAME = "transferkit-feature-store";
    static final String FORMAT_VERSION = "format_version";
    static final long VERSION = 1;
    static final String MODEL = "model";
    static final String LAYER = "layer";
    static final String POOLING = "pooling";
    static final String PREPROCESSING = "preprocessing";
    static final String INPUT_SPEC = "input_spec";
    /** Added after the first stores were written: a store without it was made with the default image options. */
    static final String IMAGE_OPTIONS = "image_options";
    static final String LABEL_NAMES = "label_names";
    static final String FEATURE_DIM = "feature_dim";
    static final String CREATED = "created";
    static final String COMPLETE = "complete";
    static final String EXPECTED_ROWS = "expected_rows";
    static final String COMMITTED_ROWS = "committed_rows";
    static final String COMMITTED_FAILURES = "committed_failures";
    static final String PROVENANCE = "provenance";

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoreHeader() {
    }

    /** Writes the format marker and every spec field. */
    static void writeSpec(StoreFile f, StoreSpec spec) {
        f.setAttribute(FORMAT, FORMAT_NAME);
        f.setAttribute(FORMAT_VERSION, VERSION);
        f.setAttribute(MODEL, spec.model());
        f.setAttribute(LAYER, spec.layer());
        f.setAttribute(POOLING, spec.pooling().name());
        f.setAttribute(PREPROCESSING, json(spec.preprocessing().toMap()));
        f.setAttribute(INPUT_SPEC, json(inputSpecToMap(spec.inputSpec())));
        f.setAttribute(IMAGE_OPTIONS, json(spec.imageOptions().toMap()));
        f.setAttribute(LABEL_NAMES, json(spec.labelNames()));
        f.setAttribute(FEATURE_DIM, spec.featureDim());
    }

    /**
     * Checks that the file says it is a feature store of a version this code reads.
     *
     * @throws StoreFormatException otherwise, naming the file
     */
    static void requireFormat(StoreFile f) {
        if (!f.hasAttribute(FORMAT) || !FORMAT_NAME.equals(f.stringAttribute(FORMAT))) {
            throw new StoreFormatException(f.path(), "The file " + f.path()
                    + " is an HDF5 file but not a TransferKit feature store (its root attribute 'format' is not '"
                    + FORMAT_NAME + "').");
        }
        long version = f.longAttribute(FORMAT_VERSION);
        if (version > VERSION) {
            throw new StoreFormatException(f.path(), "The feature store " + f.path() + " has format version " + version
                    + ", but this TransferKit reads version " + VERSION + " only; upgrade TransferKit to read it.");
        }
        if (version < 1) {
            throw new StoreFormatException(f.path(), "The feature store " + f.path() + " has the invalid format version "
                    + version + ".");
        }
    }

    /**
     * Reads the spec a store was written with.
     *
     * @throws StoreFormatException when an attribute is missing or malformed
     */
    static StoreSpec readSpec(StoreFile f) {
        String field = MODEL;
        try {
            String model = f.stringAttribute(MODEL);
            field = LAYER;
            String layer = f.stringAttribute(LAYER);
            field = POOLING;
            Pooling pooling = Pooling.valueOf(f.stringAttribute(POOLING));
            field = PREPROCESSING;
            Preprocessing pre = Preprocessing.fromMap(JSON.readValue(f.stringAttribute(PREPROCESSING),
                    new TypeReference<Map<String, Object>>() { }));
            field = INPUT_SPEC;
            InputSpec inputSpec = inputSpecFromMap(JSON.readValue(f.stringAttribute(INPUT_SPEC), new TypeReference<>() { }));
            field = IMAGE_OPTIONS;
            ImageOptions images = f.hasAttribute(IMAGE_OPTIONS)
                    ? ImageOptions.fromMap(JSON.readValue(f.stringAttribute(IMAGE_OPTIONS), new TypeReference<Map<String, Object>>() { }))
                    : ImageOptions.defaults(); // stores written before the options were recorded could only use the defaults through TransferLearner
            field = LABEL_NAMES;
            List<String> labels = JSON.readValue(f.stringAttribute(LABEL_NAMES), new TypeReference<>() { });
            field = FEATURE_DIM;
            long dim = f.longAttribute(FEATURE_DIM);
            if (dim < 1 || dim > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("feature dimension " + dim + " is out of range");
            }
            return StoreSpec.builder().setModel(model).setLayer(layer).setPooling(pooling).setPreprocessing(pre)
                    .setInputSpec(inputSpec).optImageOptions(images).setFeatureDim((int) dim).setLabelNames(labels).build();
        } catch (StoreException e) {
            throw e;
        } catch (JsonProcessingException | RuntimeException e) {
            throw new StoreFormatException(f.path(), "The feature store " + f.path() + " has a malformed '" + field
                    + "' attribute (" + e.getMessage() + "); the file is damaged or was not written by TransferKit.", e);
        }
    }

    /** The {@code input_spec} JSON object: height, width, channels, format. */
    static Map<String, Object> inputSpecToMap(InputSpec in) {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("height", in.height());
        input.put("width", in.width());
        input.put("channels", in.channels());
        input.put("format", in.format().name());
        return input;
    }

    /** Reads an {@code input_spec} JSON object; throws a RuntimeException when a field is missing or malformed. */
    static InputSpec inputSpecFromMap(Map<String, Object> in) {
        return new InputSpec(((Number) in.get("height")).intValue(), ((Number) in.get("width")).intValue(),
                ((Number) in.get("channels")).intValue(), DataFormat.valueOf((String) in.get("format")));
    }

    /** Writes the free-form provenance map as a JSON object. */
    static void writeProvenance(StoreFile f, Map<String, String> provenance) {
        f.setAttribute(PROVENANCE, json(provenance));
    }

    /**
     * Reads the provenance map; an absent attribute gives an empty map.
     *
     * @throws StoreFormatException when it is not a JSON object of strings
     */
    static Map<String, String> readProvenance(StoreFile f) {
        if (!f.hasAttribute(PROVENANCE)) {
            return Map.of();
        }
        try {
            return JSON.readValue(f.stringAttribute(PROVENANCE), new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw new StoreFormatException(f.path(), "The feature store " + f.path()
                    + " has a malformed 'provenance' attribute (" + e.getOriginalMessage() + ").", e);
        }
    }

    /** Returns the planned row count, or -1 when the writer did not give one. */
    static long readExpectedRows(StoreFile f) {
        return f.hasAttribute(EXPECTED_ROWS) ? f.longAttribute(EXPECTED_ROWS) : -1;
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Could not write " + value + " as JSON.", e);
        }
    }
}
