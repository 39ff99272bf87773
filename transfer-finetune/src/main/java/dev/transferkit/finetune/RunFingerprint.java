package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What identifies a fine-tuning run for resuming: the training settings, the base model (name and a hash of its
 * parameters) and the data (a hash of every image's path, class, size and modification time).
 *
 * <p>The settings part is derived from {@link FineTuner.Settings} mechanically ({@link #canonical}): every component
 * of every record in it, recursively, so that a setting added to those records is in the fingerprint without being
 * written here.
 *
 * @param configuration the training settings, human-readable
 * @param baseModel     the base model's name and parameter hash
 * @param data          the splits, image counts and a hash of the images
 */
record RunFingerprint(String configuration, String baseModel, String data) {

    static String ofSettings(FineTuner.Settings settings) {
        return canonical(settings);
    }

    /**
     * Writes a setting as text that differs whenever the setting differs: a record as its type and every component
     * by name, lists in order, maps sorted by key, strings quoted, image options as their recorded map, and numbers,
     * booleans, enums and class weights as themselves.
     *
     * @param value a setting
     * @return its canonical text
     * @throws IllegalArgumentException naming the type when it has no canonical form here (add one)
     */
    static String canonical(Object value) {
        if (value instanceof Record r) {
            StringJoiner out = new StringJoiner(", ", r.getClass().getSimpleName() + "[", "]");
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                out.add(c.getName() + "=" + canonical(component(r, c)));
            }
            return out.toString();
        }
        if (value instanceof ImageOptions options) {
            return canonical(options.toMap());
        }
        if (value instanceof Map<?, ?> map) {
            StringJoiner out = new StringJoiner(", ", "{", "}");
            new TreeMap<>(map.entrySet().stream().collect(Collectors.toMap(e -> String.valueOf(e.getKey()), Map.Entry::getValue)))
                    .forEach((k, v) -> out.add(k + "=" + canonical(v)));
            return out.toString();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(RunFingerprint::canonical).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof String text) {
            return '"' + text + '"';
        }
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof Enum<?>
                || value instanceof ClassWeights) {
            return String.valueOf(value);
        }
        throw new IllegalArgumentException("A fine-tuning setting of type " + value.getClass().getName() + " ('" + value
                + "') has no canonical form for the checkpoint fingerprint; give it one in RunFingerprint.canonical.");
    }

    private static Object component(Record r, RecordComponent c) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Could not read the component " + c.getName() + " of " + r.getClass().getName()
                    + ": " + e.getMessage(), e);
        }
    }

    static String ofModel(BaseModel model) {
        MessageDigest md = sha256();
        md.update(model.graph().params().data().asNio());
        md.update(model.graph().getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
        return model.name() + " sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String ofData(Path root, String trainSplit, List<LabeledImage> train, String validationSplit,
                         List<LabeledImage> validation) {
        MessageDigest md = sha256();
        update(md, root, "train", train);
        if (validation != null) {
            update(md, root, "validation", validation);
        }
        return "train=" + trainSplit + " (" + train.size() + " images), validation="
                + (validation == null ? "none" : validationSplit + " (" + validation.size() + " images)")
                + " sha256:" + HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, Path root, String role, List<LabeledImage> images) {
        for (LabeledImage li : images) {
            Path p = li.path();
            try {
                String line = role + '\t' + (p.startsWith(root) ? root.relativize(p) : p) + '\t' + li.label() + '\t'
                        + Files.size(p) + '\t' + Files.getLastModifiedTime(p).toMillis() + '\n';
                md.update(line.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new TransferKitIOException("Could not read the size of the image " + p + ".", e);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime.", e);
        }
    }
}
