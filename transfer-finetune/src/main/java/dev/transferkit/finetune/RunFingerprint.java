package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What identifies a fine-tuning run for resuming: the training settings, the base model (name and a hash of its
 * parameters) and the data (a hash of every image's path, class, size and modification time).
 *
 * @param configuration the training settings, human-readable
 * @param baseModel     the base model's name and parameter hash
 * @param data          the splits, image counts and a hash of the images
 */
record RunFingerprint(String configuration, String baseModel, String data) {

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
