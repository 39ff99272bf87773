package dev.transferkit.image;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.AtomicFiles;
import dev.transferkit.core.TransferKitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reorganises a flat folder of images into an {@link ImageFolder} layout, {@code target/<split>/<class>/<file>}.
 *
 * <p>Each image gets its class from a labelling rule ({@link LabelRules} or any {@code Function<Path, String>})
 * and its split from a stable hash of its file name and a seed, compared with the split fractions. The split of a
 * file depends only on its own name, so adding files later never moves the ones already placed. Files are copied
 * (through a hidden temporary file renamed into place) or hard-linked; an existing target file with the same
 * content is left alone, and one with different content stops the run before anything is written. Images whose
 * label cannot be determined are reported in {@link DatasetSummary#unlabeled()}.
 *
 * <pre>{@code
 * DatasetSummary s = DatasetBuilder.builder()
 *         .setSource(Path.of("Food-5K/all"))
 *         .setTarget(Path.of("food5k"))
 *         .setLabelsFromFileNamePattern("(\\d+)_.*")
 *         .build()
 *         .create();
 * }</pre>
 */
public final class DatasetBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetBuilder.class);

    private final Path source;
    private final Path target;
    private final Function<Path, String> labeler;
    private final Map<String, Double> splits;
    private final long seed;
    private final boolean hardLinks;

    private DatasetBuilder(Builder b) {
        this.source = b.source;
        this.target = b.target;
        this.labeler = b.labeler;
        this.splits = Collections.unmodifiableMap(new LinkedHashMap<>(b.splits));
        this.seed = b.seed;
        this.hardLinks = b.hardLinks;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the split names and fractions, in the order they share out the hash range */
    public Map<String, Double> splits() {
        return splits;
    }

    /**
     * Returns the split a file name is assigned to: a SHA-256 hash of the seed and the name, read as a number in
     * {@code [0, 1)}, falls into one of the consecutive fraction intervals.
     *
     * @param fileName a file name
     * @return the split name
     */
    public String splitOf(String fileName) {
        double u = unitHash(seed, fileName);
        double cumulative = 0;
        String last = null;
        for (Map.Entry<String, Double> e : splits.entrySet()) {
            cumulative += e.getValue();
            last = e.getKey();
            if (u < cumulative) {
                return last;
            }
        }
        return last;
    }

    private static double unitHash(long seed, String name) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(seed).array());
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            long bits = ByteBuffer.wrap(sha.digest()).getLong();
            return (bits >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime.", e);
        }
    }

    private record Placement(Path source, Path target, String split, String label) {
    }

    /**
     * Labels, splits and copies (or links) the images.
     *
     * @return counts per split and class, what was written, what was left out, and the scanned dataset
     * @throws TransferKitException when the source folder is missing or unreadable, no image could be labelled,
     *                              a target file exists with different content, or writing fails
     */
    public DatasetSummary create() {
        List<Path> images = listSource();
        List<ImageFailure> unlabeled = new ArrayList<>();
        List<Placement> plan = new ArrayList<>();
        for (Path image : images) {
            String label = labelOf(image, unlabeled);
            if (label != null) {
                String split = splitOf(image.getFileName().toString());
                plan.add(new Placement(image, target.resolve(split).resolve(label).resolve(image.getFileName().toString()),
                        split, label));
            }
        }
        if (plan.isEmpty()) {
            throw new TransferKitException("None of the " + images.size() + " images in " + source
                    + " could be labelled by the " + labeler
                    + (unlabeled.isEmpty() ? "." : "; for example " + unlabeled.get(0).path().getFileName() + ": "
                    + unlabeled.get(0).reason() + "."));
        }
        List<Placement> toWrite = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        for (Placement p : plan) {
            if (!Files.exists(p.target)) {
                toWrite.add(p);
            } else if (!sameContent(p.source, p.target)) {
                conflicts.add(p.target.toString());
            }
        }
        if (!conflicts.isEmpty()) {
            throw new TransferKitException(conflicts.size() + " target files already exist with different content, e.g. "
                    + conflicts.subList(0, Math.min(3, conflicts.size()))
                    + "; nothing was written. Remove them or choose an empty target folder.");
        }
        boolean link = hardLinks;
        for (Placement p : toWrite) {
            link = place(p, link);
        }
        Map<String, Map<String, Integer>> counts = new TreeMap<>();
        for (Placement p : plan) {
            counts.computeIfAbsent(p.split, s -> new TreeMap<>()).merge(p.label, 1, Integer::sum);
        }
        counts.replaceAll((s, m) -> Collections.unmodifiableMap(m));
        if (!unlabeled.isEmpty()) {
            LOG.warn("{} of {} images in {} got no label and were left out, e.g. {}: {}", unlabeled.size(), images.size(),
                    source, unlabeled.get(0).path().getFileName(), unlabeled.get(0).reason());
        }
        return new DatasetSummary(counts, toWrite.size(), plan.size() - toWrite.size(), unlabeled, ImageFolder.open(target));
    }

    private List<Path> listSource() {
        if (!Files.isDirectory(source)) {
            throw new TransferKitException("The source folder " + source
                    + (Files.exists(source) ? " is a file, not a folder." : " does not exist."));
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(source)) {
            for (Path p : entries) {
                if (ImageFiles.hasImageName(p) && Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new TransferKitException("The source folder " + source + " could not be listed: " + e.getMessage(), e);
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    /** Returns a usable label, or records why there is none and returns null. */
    private String labelOf(Path image, List<ImageFailure> unlabeled) {
        String label;
        try {
            label = labeler.apply(image);
        } catch (RuntimeException e) {
            throw new TransferKitException("The labelling rule " + labeler + " failed on " + image + ": " + e.getMessage(), e);
        }
        if (label == null || label.isBlank()) {
            unlabeled.add(new ImageFailure(image, "the " + labeler + " gives it no label"));
            return null;
        }
        label = label.trim();
        if (!isFolderName(label)) {
            unlabeled.add(new ImageFailure(image, "its label '" + label + "' cannot be used as a folder name"));
            return null;
        }
        return label;
    }

    /** A name that is one visible path component on every common file system. */
    static boolean isFolderName(String name) {
        return !name.isEmpty() && !name.startsWith(".") && name.chars().noneMatch(c -> c == '/' || c == '\\' || c == 0
                || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|' || c < 0x20);
    }

    private static boolean sameContent(Path a, Path b) {
        try {
            return Files.mismatch(a, b) == -1L;
        } catch (IOException e) {
            throw new TransferKitException("The files " + a + " and " + b + " could not be compared: " + e.getMessage(), e);
        }
    }

    /** Links or copies one file; returns whether linking should still be tried for the next files. */
    private static boolean place(Placement p, boolean link) {
        try {
            Files.createDirectories(p.target.getParent());
            if (link) {
                try {
                    Files.createLink(p.target, p.source);
                    return true;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    if (Files.exists(p.target)) {
                        throw e;
                    }
                    LOG.warn("Hard links from {} to {} are not possible ({}); copying instead.", p.source.getParent(),
                            p.target.getParent(), e.toString());
                }
            }
            Path tmp = AtomicFiles.createPartFile(p.target);
            try {
                Files.copy(p.source, tmp, StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.move(tmp, p.target);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return false;
        } catch (IOException e) {
            throw new TransferKitException("Copying " + p.source + " to " + p.target + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DatasetBuilder(source=" + source + ", target=" + target + ", labels=" + labeler + ", splits=" + splits
                + ", seed=" + seed + ", " + (hardLinks ? "hard links" : "copies") + ")";
    }

    /** Builds a {@link DatasetBuilder}: source, target and a labelling rule are required. */
    public static final class Builder {
        private Path source;
        private Path target;
        private Function<Path, String> labeler;
        private Map<String, Double> splits = defaultSplits();
        private long seed;
        private boolean hardLinks;

        private Builder() {
        }

        private static Map<String, Double> defaultSplits() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put(ImageFolder.TRAIN, 0.8);
            m.put("validation", 0.2);
            return m;
        }

        /**
         * Sets the flat folder of images (only its direct, non-hidden image files are used).
         *
         * @param source the folder
         * @return this builder
         */
        public Builder setSource(Path source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * Sets the dataset folder to create or extend.
         *
         * @param target the folder; {@code target/<split>/<class>/} folders are created in it
         * @return this builder
         */
        public Builder setTarget(Path target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * Sets the labelling rule; it returns a class name for a file, or null when it cannot tell. Its
         * {@code toString()} appears in reports.
         *
         * @param labeler the rule
         * @return this builder
         */
        public Builder setLabeler(Function<Path, String> labeler) {
            this.labeler = Objects.requireNonNull(labeler, "labeler");
            return this;
        }

        /**
         * Labels files by a regular expression on the file name, group 1 being the class
         * (see {@link LabelRules#fromFileNamePattern(String)}).
         *
         * @param regex e.g. {@code (\d+)_.*} for Food-5K's {@code 0_123.jpg}
         * @return this builder
         */
        public Builder setLabelsFromFileNamePattern(String regex) {
            return setLabeler(LabelRules.fromFileNamePattern(regex));
        }

        /**
         * Labels files from a {@code filename,label} CSV file (see {@link LabelRules#fromCsv(Path)}).
         *
         * @param csv the CSV file
         * @return this builder
         */
        public Builder setLabelsFromCsv(Path csv) {
            return setLabeler(LabelRules.fromCsv(csv));
        }

        /**
         * Sets the splits and their fractions (default {@code train} 0.8, {@code validation} 0.2).
         *
         * @param fractions split name to fraction, in the order they share out the hash range; each fraction
         *                  positive, summing to 1
         * @return this builder
         * @throws IllegalArgumentException when the map is empty, a name is not a folder name, a fraction is not
         *                                  positive or the fractions do not sum to 1
         */
        public Builder optSplits(Map<String, Double> fractions) {
            Objects.requireNonNull(fractions, "fractions");
            if (fractions.isEmpty()) {
                throw new IllegalArgumentException("At least one split is needed, but the split map is empty.");
            }
            double sum = 0;
            for (Map.Entry<String, Double> e : fractions.entrySet()) {
                if (e.getKey() == null || !isFolderName(e.getKey())) {
                    throw new IllegalArgumentException("The split name '" + e.getKey() + "' cannot be used as a folder name.");
                }
                if (e.getValue() == null || !(e.getValue() > 0) || e.getValue() > 1) {
                    throw new IllegalArgumentException("The fraction of split '" + e.getKey() + "' must be in (0, 1], but is "
                            + e.getValue() + ".");
                }
                sum += e.getValue();
            }
            if (Math.abs(sum - 1) > 1e-6) {
                throw new IllegalArgumentException("The split fractions " + fractions + " sum to " + sum + ", not 1.");
            }
            this.splits = new LinkedHashMap<>(fractions);
            return this;
        }

        /**
         * Sets the seed mixed into the split hash (default 0); another seed gives another, equally stable split.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Hard-links files instead of copying them (default false). Falls back to copying, with a warning, where
         * the file system refuses links (e.g. across devices).
         *
         * @param hardLinks true to link
         * @return this builder
         */
        public Builder optHardLinks(boolean hardLinks) {
            this.hardLinks = hardLinks;
            return this;
        }

        /**
         * Validates the configuration.
         *
         * @return the immutable builder, ready for {@link DatasetBuilder#create()}
         * @throws MissingSettingException when the source, target or labelling rule is missing
         */
        public DatasetBuilder build() {
            List<String> missing = new ArrayList<>();
            if (source == null) {
                missing.add("setSource");
            }
            if (target == null) {
                missing.add("setTarget");
            }
            if (labeler == null) {
                missing.add("a labelling rule (setLabeler, setLabelsFromFileNamePattern or setLabelsFromCsv)");
            }
            if (!missing.isEmpty()) {
                throw new MissingSettingException("A DatasetBuilder needs a source, a target and a labelling rule; missing: "
                        + String.join(", ", missing) + ".");
            }
            return new DatasetBuilder(this);
        }
    }
}
