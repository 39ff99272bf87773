package dev.transferkit.examples.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.transferkit.io.NpmPackages;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Writes a small emoji-datasource-like npm tarball (emoji.json, LICENSE, 64x64 and 32x32 PNGs) into an
 * {@link NpmPackages} cache, for tests.
 */
final class FakeEmojiPackage {
    /** The food images of the fake package. */
    static final List<String> FOOD = List.of("1f34c.png", "1f34e.png", "1f354.png", "1f355.png");
    /** The non-food images that have vendor images. */
    static final List<String> NON_FOOD = List.of("1f431.png", "1f436.png", "1f600.png", "1f697.png", "2764-fe0f.png");
    /** A skin-tone swatch, category Component. */
    static final String COMPONENT = "1f3fb.png";
    /** An emoji whose vendor image is absent (has_img false). */
    static final String NO_IMAGE = "1f9a0.png";
    /** A skin-tone variation image of 1f600; present in the 64 directory but not an entry of its own. */
    static final String VARIATION = "1f44d-1f3fb.png";
    static final String VERSION = "0.0.1-test";

    private final String vendor;
    private final int rgb;
    private final List<String> missingImages = new ArrayList<>();
    private String badImageName;
    private int truncateTo = -1;

    FakeEmojiPackage(String vendor, int rgb) {
        this.vendor = vendor;
        this.rgb = rgb;
    }

    /** Lists an image in emoji.json whose PNG the tarball lacks. */
    FakeEmojiPackage withMissingImage(String image) {
        missingImages.add(image);
        return this;
    }

    /** Lists an emoji whose image name is a path escaping the package. */
    FakeEmojiPackage withImageName(String name) {
        badImageName = name;
        return this;
    }

    /** Cuts the tarball to this many bytes (and pins the hash of the cut file). */
    FakeEmojiPackage truncatedTo(int bytes) {
        truncateTo = bytes;
        return this;
    }

    /** @return the npm package name */
    String npmName() {
        return "emoji-datasource-" + vendor;
    }

    /**
     * Writes the tarball to {@code npm.cachePath(...)} and returns its integrity string.
     */
    String writeTo(NpmPackages npm) throws IOException {
        byte[] tgz = tarball();
        if (truncateTo >= 0) {
            tgz = Arrays.copyOf(tgz, truncateTo);
        }
        Path file = npm.cachePath(npmName(), VERSION);
        Files.createDirectories(file.getParent());
        Files.write(file, tgz);
        return integrity(tgz);
    }

    static String integrity(byte[] bytes) {
        try {
            return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] tarball() throws IOException {
        ObjectMapper om = new ObjectMapper();
        ArrayNode json = om.createArrayNode();
        FOOD.forEach(i -> json.add(entry(om, i, "Food & Drink", true)));
        NON_FOOD.forEach(i -> json.add(entry(om, i, i.startsWith("1f6") ? "Smileys & Emotion" : "Animals & Nature", true)));
        json.add(entry(om, COMPONENT, "Component", true));
        json.add(entry(om, NO_IMAGE, "Animals & Nature", false));
        missingImages.forEach(i -> json.add(entry(om, i, "Objects", true)));
        if (badImageName != null) {
            json.add(entry(om, badImageName, "Objects", true));
        }
        ((ObjectNode) json.get(FOOD.size() + 2)).putObject("skin_variations").putObject("1F3FB").put("image", VARIATION);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(bytes);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            put(tar, "package/package.json", ("{\"name\":\"" + npmName() + "\",\"version\":\"" + VERSION + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
            put(tar, "package/LICENSE", "The MIT License (MIT)\n\nCopyright (c) 2013 Cal Henderson\n"
                    .getBytes(StandardCharsets.UTF_8));
            put(tar, "package/emoji.json", om.writeValueAsBytes(json));
            List<String> images = new ArrayList<>(FOOD);
            images.addAll(NON_FOOD);
            images.add(COMPONENT);
            images.add(VARIATION);
            for (String image : images) {
                put(tar, "package/img/" + vendor + "/64/" + image, png(64, rgb));
                put(tar, "package/img/" + vendor + "/32/" + image, png(32, rgb));
            }
        }
        return bytes.toByteArray();
    }

    private static ObjectNode entry(ObjectMapper om, String image, String category, boolean hasImage) {
        ObjectNode n = om.createObjectNode();
        n.put("image", image);
        n.put("category", category);
        for (String v : List.of("apple", "google", "twitter", "facebook")) {
            n.put("has_img_" + v, hasImage);
        }
        return n;
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    static byte[] png(int size, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
