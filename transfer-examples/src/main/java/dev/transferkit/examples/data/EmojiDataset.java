package dev.transferkit.examples.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.core.Checks;
import dev.transferkit.core.TransferKitHome;
import dev.transferkit.io.FileTrees;
import dev.transferkit.io.NpmPackages;
import dev.transferkit.io.SafeArchives;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Food versus non-food emoji images, one emoji vendor per split, in the image-folder layout
 * {@code <root>/<split>/<class>/<image>.png} with the splits {@code train} and {@code test} and the classes
 * {@value #FOOD} and {@value #NON_FOOD}.
 *
 * <p>The images are the 64x64 PNGs of the npm packages {@code emoji-datasource-google@16.0.0} (Noto Emoji,
 * Apache-2.0) and {@code emoji-datasource-twitter@16.0.0} (Twemoji, CC-BY-4.0), fetched with {@link NpmPackages}
 * and checked against pinned sha512 hashes. Only these two vendors are offered: the Apple and Facebook sets are not
 * licensed for redistribution and are refused. Training on one vendor and testing on the other measures how well
 * features transfer across drawing styles.
 *
 * <p>Labels come from the {@code category} field of the package's {@code emoji.json}: {@code "Food & Drink"} is
 * {@value #FOOD}, every other category is {@value #NON_FOOD}, except {@code "Component"} (the five skin-tone
 * swatches, plain colour squares rather than pictures), which is left out. Each emoji contributes its default image
 * only; its skin-tone variations are left out, since they would add near-copies of the same picture. For version
 * 16.0.0 this gives 131 food and 1,775 non-food images per vendor.
 *
 * <p>The dataset is built once under {@code TransferKitHome.resolve("datasets")} in a directory named after the
 * settings, atomically (see {@link #prepare()}), with LICENSE and NOTICE files naming each vendor's licence and
 * source. Example:
 * <pre>{@code
 * Path root = EmojiDataset.builder().optTrainVendor("google").optTestVendor("twitter").build().prepare();
 * }</pre>
 */
public final class EmojiDataset {
    /** The class of emoji in the category "Food &amp; Drink". */
    public static final String FOOD = "food";
    /** The class of every other emoji. */
    public static final String NON_FOOD = "non_food";
    /** The train split's directory name. */
    public static final String TRAIN = "train";
    /** The test split's directory name. */
    public static final String TEST = "test";

    static final String FOOD_CATEGORY = "Food & Drink";
    static final String EXCLUDED_CATEGORY = "Component";
    private static final Pattern IMAGE_NAME = Pattern.compile("[0-9a-f]{2,8}(-[0-9a-f]{2,8})*\\.png");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final Map<String, Source> splits;
    private final int maxPerClass;
    private final long seed;
    private final NpmPackages npm;
    private final Path cacheDir;

    private EmojiDataset(Builder b) {
        Map<String, Source> s = new LinkedHashMap<>();
        s.put(TRAIN, b.source(b.trainVendor));
        s.put(TEST, b.source(b.testVendor));
        this.splits = Collections.unmodifiableMap(s);
        this.maxPerClass = b.maxPerClass;
        this.seed = b.seed;
        this.npm = b.npm != null ? b.npm : NpmPackages.defaults();
        this.cacheDir = b.cacheDir != null ? b.cacheDir.toAbsolutePath() : TransferKitHome.resolve("datasets");
    }

    /**
     * Starts a builder; by default the train split is google, the test split twitter, with every image.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns where the dataset lives for these settings (it may not exist yet). Different settings give
     * different directories.
     *
     * @return the dataset root
     */
    public Path root() {
        StringBuilder name = new StringBuilder("emoji-food");
        splits.forEach((split, src) -> name.append('-').append(split).append('_').append(src.vendor().id())
                .append('-').append(src.version()));
        name.append(maxPerClass > 0 ? "-max" + maxPerClass + "-seed" + seed : "-all");
        return cacheDir.resolve(name.toString());
    }

    /**
     * Returns the dataset root, building the dataset first when it is not cached. A build fetches (or reuses) the
     * npm tarballs, extracts only {@code package/emoji.json}, {@code package/LICENSE} and
     * {@code package/img/<vendor>/64/}, and moves the chosen images into a hidden temporary directory beside the
     * root, which is renamed into place after a manifest was written last; an interrupted build leaves no
     * directory that looks complete. A cached dataset is reused after its file counts were checked against its
     * manifest.
     *
     * @return the dataset root holding {@code train/} and {@code test/}
     * @throws DatasetException                       when a package is malformed or a cached dataset was changed
     * @throws dev.transferkit.io.NpmPackageException when npm is missing and a tarball is not cached, or a
     *                                                tarball has the wrong hash (the message says where to put it)
     */
    public Path prepare() {
        return summary().root();
    }

    /**
     * Like {@link #prepare()}, returning the number of images per split and class.
     *
     * @return the counts of the prepared dataset
     */
    public DatasetSummary summary() {
        return DatasetCache.obtain(root(), settings(), this::build);
    }

    private Map<String, String> settings() {
        Map<String, String> s = new TreeMap<>();
        s.put("dataset", "emoji-food");
        splits.forEach((split, src) -> s.put(split, src.npmName() + "@" + src.version() + " " + src.integrity()));
        s.put("maxPerClass", Integer.toString(maxPerClass));
        s.put("seed", maxPerClass > 0 ? Long.toString(seed) : "-");
        return s;
    }

    private void build(Path dir) throws IOException {
        String packageLicence = null;
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (Map.Entry<String, Source> e : splits.entrySet()) {
            Source src = e.getValue();
            Path tarball = npm.pack(src.npmName(), src.version(), src.integrity());
            Path extracted = dir.resolve(".extract-" + src.vendor().id());
            String images = "package/img/" + src.vendor().id() + "/64/";
            SafeArchives.extract(tarball, extracted, n -> n.equals("package/emoji.json")
                    || n.equals("package/LICENSE") || n.startsWith(images));
            Map<String, List<String>> chosen = choose(readEmojiJson(extracted.resolve("package/emoji.json"), src), src);
            Map<String, Integer> splitCounts = new TreeMap<>();
            for (Map.Entry<String, List<String>> c : chosen.entrySet()) {
                Path classDir = Files.createDirectories(dir.resolve(e.getKey()).resolve(c.getKey()));
                for (String image : c.getValue()) {
                    Path from = extracted.resolve(images + image);
                    checkPng(from, src, images + image);
                    Files.move(from, classDir.resolve(image));
                }
                splitCounts.put(c.getKey(), c.getValue().size());
            }
            counts.put(e.getKey(), splitCounts);
            Path licence = extracted.resolve("package/LICENSE");
            if (packageLicence == null && Files.isRegularFile(licence)) {
                packageLicence = Files.readString(licence, StandardCharsets.UTF_8);
            }
            FileTrees.deleteRecursively(extracted);
        }
        writeNotices(dir, counts, packageLicence);
    }

    /** One emoji.json entry: its default image, category and whether the vendor has an image for it. */
    private record Emoji(String image, String category, boolean hasImage) {
    }

    private static List<Emoji> readEmojiJson(Path json, Source src) throws IOException {
        String where = "package/emoji.json of " + src.npmName() + "@" + src.version();
        if (!Files.isRegularFile(json)) {
            throw new DatasetException("The npm package " + src.npmName() + "@" + src.version()
                    + " has no package/emoji.json; it is not an emoji-datasource package.");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new DatasetException("The file " + where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new DatasetException("The file " + where + " must hold a JSON array of emoji objects.");
        }
        String flag = "has_img_" + src.vendor().id();
        List<Emoji> list = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            JsonNode image = n.get("image");
            JsonNode category = n.get("category");
            if (image == null || !image.isTextual() || category == null || !category.isTextual()) {
                throw new DatasetException("Entry " + i + " of " + where + " lacks a text 'image' or 'category' field.");
            }
            if (!IMAGE_NAME.matcher(image.asText()).matches()) {
                throw new DatasetException("Entry " + i + " of " + where + " names the image '" + image.asText()
                        + "', which is not a file name like '1f34e.png'; refusing to use it as a path.");
            }
            list.add(new Emoji(image.asText(), category.asText(), n.path(flag).asBoolean(false)));
        }
        return list;
    }

    /** Groups the usable emoji by class and applies the per-class limit. */
    private Map<String, List<String>> choose(List<Emoji> emoji, Source src) {
        Map<String, List<String>> byClass = new TreeMap<>();
        byClass.put(FOOD, new ArrayList<>());
        byClass.put(NON_FOOD, new ArrayList<>());
        Set<String> seen = new HashSet<>();
        for (Emoji e : emoji) {
            if (!seen.add(e.image())) {
                throw new DatasetException("The package/emoji.json of " + src.npmName() + "@" + src.version()
                        + " lists the image " + e.image() + " twice.");
            }
            if (e.hasImage() && !e.category().equals(EXCLUDED_CATEGORY)) {
                byClass.get(e.category().equals(FOOD_CATEGORY) ? FOOD : NON_FOOD).add(e.image());
            }
        }
        byClass.replaceAll((cls, images) -> subset(images));
        return byClass;
    }

    /** @return the images sorted by name, or a seeded random subset of {@code maxPerClass} of them, sorted */
    private List<String> subset(List<String> images) {
        List<String> sorted = new ArrayList<>(images);
        Collections.sort(sorted);
        if (maxPerClass == 0 || sorted.size() <= maxPerClass) {
            return sorted;
        }
        Collections.shuffle(sorted, new Random(seed));
        List<String> picked = new ArrayList<>(sorted.subList(0, maxPerClass));
        Collections.sort(picked);
        return picked;
    }

    private static void checkPng(Path file, Source src, String entry) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DatasetException("The npm package " + src.npmName() + "@" + src.version() + " lists the emoji "
                    + file.getFileName() + " with has_img_" + src.vendor().id() + "=true but has no " + entry + ".");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(PNG_SIGNATURE.length);
        }
        if (!Arrays.equals(head, PNG_SIGNATURE)) {
            throw new DatasetException("The entry " + entry + " of the npm package " + src.npmName() + "@"
                    + src.version() + " is not a PNG image.");
        }
    }

    private void writeNotices(Path dir, Map<String, Map<String, Integer>> counts, String packageLicence)
            throws IOException {
        String nl = System.lineSeparator();
        StringBuilder licence = new StringBuilder("The images in this dataset keep their vendors' licences:" + nl);
        StringBuilder notice = new StringBuilder("Food versus non-food emoji, built by TransferKit"
                + " (dev.transferkit.examples.data.EmojiDataset)." + nl + nl);
        splits.forEach((split, src) -> {
            licence.append(nl).append(split).append("/ (").append(src.vendor().id()).append("): ")
                    .append(src.vendor().licence()).append(nl);
            notice.append(split).append("/: ").append(counts.get(split)).append(" images from the npm package ")
                    .append(src.npmName()).append('@').append(src.version()).append(" (").append(src.integrity())
                    .append("), files package/img/").append(src.vendor().id()).append("/64/*.png, copied unchanged.")
                    .append(nl).append("  ").append(src.vendor().attribution()).append(nl);
        });
        notice.append(nl).append("Labels: emoji.json category \"").append(FOOD_CATEGORY).append("\" -> ").append(FOOD)
                .append("; every other category -> ").append(NON_FOOD).append(", except \"").append(EXCLUDED_CATEGORY)
                .append("\" (skin-tone swatches), which is left out. Only each emoji's default image is used;"
                        + " skin-tone variations are left out.").append(nl);
        if (maxPerClass > 0) {
            notice.append("Subset: at most ").append(maxPerClass).append(" images per class and split, chosen with"
                    + " the seed ").append(seed).append('.').append(nl);
        }
        notice.append(nl).append("Emoji metadata: emoji-datasource by Cal Henderson (https://github.com/iamcal/emoji-data),"
                + " MIT License (see LICENSE).").append(nl);
        licence.append(nl).append("The labels come from emoji.json of emoji-datasource, under this licence:").append(nl)
                .append(nl).append(packageLicence != null ? packageLicence.strip()
                        : "MIT License, Copyright (c) 2013 Cal Henderson (https://github.com/iamcal/emoji-data).")
                .append(nl);
        Files.writeString(dir.resolve("LICENSE"), licence, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("NOTICE"), notice, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("EmojiDataset(");
        splits.forEach((split, src) -> sb.append(split).append('=').append(src.vendor().id()).append('@')
                .append(src.version()).append(", "));
        return sb.append("maxPerClass=").append(maxPerClass == 0 ? "all" : maxPerClass)
                .append(maxPerClass > 0 ? ", seed=" + seed : "").append(", root=").append(root()).append(')').toString();
    }

    /** Where one split's images come from: a vendor and its npm package version. */
    record Source(EmojiVendor vendor, String version, String integrity) {
        String npmName() {
            return vendor.npmName();
        }
    }

    /** Builder for {@link EmojiDataset}. */
    public static final class Builder {
        private EmojiVendor trainVendor = EmojiVendor.GOOGLE;
        private EmojiVendor testVendor = EmojiVendor.TWITTER;
        private int maxPerClass;
        private long seed = 42;
        private NpmPackages npm;
        private Path cacheDir;
        private final Map<EmojiVendor, Source> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * @param vendor the vendor whose images form the train split: {@code google} (default) or {@code twitter}
         * @return this builder
         * @throws DatasetException for {@code apple}, {@code facebook} (not redistributable) or unknown vendors
         */
        public Builder optTrainVendor(String vendor) {
            this.trainVendor = EmojiVendor.of(vendor);
            return this;
        }

        /**
         * @param vendor the vendor whose images form the test split: {@code twitter} (default) or {@code google}
         * @return this builder
         * @throws DatasetException for {@code apple}, {@code facebook} (not redistributable) or unknown vendors
         */
        public Builder optTestVendor(String vendor) {
            this.testVendor = EmojiVendor.of(vendor);
            return this;
        }

        /**
         * Keeps at most this many images per class and split, a subset chosen at random with {@link #optSeed(long)}
         * (the same settings always choose the same images), for quick runs and tests.
         *
         * @param maxPerClass a positive limit; by default every image is used
         * @return this builder
         */
        public Builder optMaxPerClass(int maxPerClass) {
            this.maxPerClass = Checks.atLeast("The maximum number of images per class", maxPerClass, 1);
            return this;
        }

        /**
         * @param seed the seed that chooses the {@link #optMaxPerClass(int)} subset; default 42
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param npm where the npm tarballs are cached and how they are fetched; default
         *            {@link NpmPackages#defaults()}
         * @return this builder
         */
        public Builder optNpmPackages(NpmPackages npm) {
            this.npm = Objects.requireNonNull(npm, "npm");
            return this;
        }

        /**
         * @param cacheDir the directory that holds built datasets; default {@code TransferKitHome.resolve("datasets")}
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /** Replaces a vendor's pinned package version and hash; for tests with small generated packages. */
        Builder packageOverride(String vendor, String version, String integrity) {
            EmojiVendor v = EmojiVendor.of(vendor);
            overrides.put(v, new Source(v, version, integrity));
            return this;
        }

        private Source source(EmojiVendor v) {
            return overrides.getOrDefault(v, new Source(v, v.version(), v.integrity()));
        }

        /**
         * @return the configured dataset (nothing is fetched yet)
         * @throws DatasetException when the train and test vendors are the same
         */
        public EmojiDataset build() {
            if (trainVendor == testVendor) {
                throw new DatasetException("The train and test vendors are both '" + trainVendor.id()
                        + "', which would put the same images in both splits; choose two different vendors.");
            }
            return new EmojiDataset(this);
        }
    }
}
