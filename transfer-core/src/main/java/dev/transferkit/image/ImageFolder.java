package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A labelled image dataset laid out as {@code root/<split>/<class>/<image>}, e.g. {@code food5k/train/food/1.jpg}.
 *
 * <p>The folder is scanned once by {@link #open(Path)}. Images are files with the extensions jpg, jpeg, png, gif,
 * bmp or webp (any case) anywhere below a class folder; hidden files and folders (names starting with a dot) are
 * skipped and symbolic links to folders inside a class folder are not followed, so link loops are harmless.
 * Everything is sorted (classes by name, images by class then relative path), so two scans of the same folder
 * give the same order on every machine. Instances are immutable.
 */
public final class ImageFolder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);
    /** The split whose classes define the label encoder when it exists. */
    public static final String TRAIN = "train";

    private final Path root;
    /** split -> class -> sorted images. */
    private final Map<String, Map<String, List<Path>>> splits;
    private final List<Path> emptyClasses;

    private ImageFolder(Path root, Map<String, Map<String, List<Path>>> splits, List<Path> emptyClasses) {
        this.root = root;
        this.splits = splits;
        this.emptyClasses = emptyClasses;
    }

    /**
     * Scans a dataset folder.
     *
     * @param root the dataset folder holding one folder per split
     * @return the scanned dataset
     * @throws TransferKitException when the folder does not exist, is not a folder, cannot be listed, has no
     *                              split folders, or a split folder holds images directly (no class folders)
     */
    public static ImageFolder open(Path root) {
        Objects.requireNonNull(root, "root");
        if (!Files.exists(root)) {
            throw new TransferKitException("The dataset folder " + root + " does not exist.");
        }
        if (!Files.isDirectory(root)) {
            throw new TransferKitException("The dataset folder " + root + " is a file, not a folder.");
        }
        Map<String, Map<String, List<Path>>> splits = new TreeMap<>();
        List<Path> empty = new ArrayList<>();
        for (Path splitDir : subfolders(root)) {
            String split = splitDir.getFileName().toString();
            Map<String, List<Path>> classes = new TreeMap<>();
            List<Path> classDirs = subfolders(splitDir);
            long loose = countImages(splitDir);
            if (classDirs.isEmpty() && loose > 0) {
                throw new TransferKitException("The split folder " + splitDir + " holds image files directly (" + loose
                        + ") but no class folders; a dataset is laid out as root/<split>/<class>/<image>."
                        + " Did you pass a split folder (such as .../train) instead of the dataset root?");
            } else if (classDirs.isEmpty()) {
                LOG.warn("The split folder {} has no class folders.", splitDir);
            } else if (loose > 0) {
                LOG.warn("{} images directly in the split folder {} are ignored; images belong in class folders.", loose, splitDir);
            }
            for (Path classDir : classDirs) {
                List<Path> images = images(classDir);
                if (images.isEmpty()) {
                    empty.add(classDir);
                    LOG.warn("The class folder {} holds no images.", classDir);
                }
                classes.put(classDir.getFileName().toString(), List.copyOf(images));
            }
            splits.put(split, Collections.unmodifiableMap(classes));
        }
        if (splits.isEmpty()) {
            throw new TransferKitException("The dataset folder " + root + " has no split folders; a dataset is laid out as "
                    + root.resolve("<split>").resolve("<class>").resolve("<image>") + ", e.g. "
                    + root.resolve(TRAIN).resolve("cat").resolve("1.jpg") + ".");
        }
        ImageFolder folder = new ImageFolder(root, Collections.unmodifiableMap(splits), List.copyOf(empty));
        folder.warnAboutUnknownClasses();
        return folder;
    }

    private void warnAboutUnknownClasses() {
        if (!splits.containsKey(TRAIN)) {
            return;
        }
        for (String split : splits()) {
            List<String> unknown = new ArrayList<>(classes(split));
            unknown.removeAll(splits.get(TRAIN).keySet());
            if (!unknown.isEmpty()) {
                LOG.warn("The split '{}' of {} has classes that '{}' lacks: {}; their images cannot be labelled.",
                        split, root, TRAIN, unknown);
            }
        }
    }

    /** Non-hidden sub-folders, sorted by name. */
    private static List<Path> subfolders(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (!ImageFiles.isHidden(p) && Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new TransferKitException("The folder " + dir + " could not be listed: " + e.getMessage(), e);
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    private static long countImages(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            long n = 0;
            for (Path p : entries) {
                if (ImageFiles.hasImageName(p) && Files.isRegularFile(p)) {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            throw new TransferKitException("The folder " + dir + " could not be listed: " + e.getMessage(), e);
        }
    }

    /** Image files anywhere below a class folder, sorted by relative path; links to folders are not followed. */
    private static List<Path> images(Path classDir) {
        Path start;
        try {
            start = classDir.toRealPath();
        } catch (IOException e) {
            throw new TransferKitException("The class folder " + classDir + " could not be resolved: " + e.getMessage(), e);
        }
        List<String> relative = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(start)) {
            walk.filter(p -> !p.equals(start))
                    .filter(p -> ImageFiles.hasImageName(p) && Files.isRegularFile(p))
                    .map(start::relativize)
                    .filter(rel -> !hasHiddenFolder(rel))
                    .forEach(rel -> relative.add(rel.toString().replace('\\', '/')));
        } catch (IOException | UncheckedIOException e) {
            throw new TransferKitException("The class folder " + classDir + " could not be listed: " + e.getMessage(), e);
        }
        Collections.sort(relative);
        List<Path> out = new ArrayList<>(relative.size());
        for (String rel : relative) {
            out.add(classDir.resolve(rel));
        }
        return out;
    }

    private static boolean hasHiddenFolder(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** @return the dataset folder */
    public Path root() {
        return root;
    }

    /** @return the split names, sorted */
    public List<String> splits() {
        return List.copyOf(splits.keySet());
    }

    /** @return the class names of all splits together, sorted */
    public List<String> classes() {
        TreeSet<String> all = new TreeSet<>();
        for (Map<String, List<Path>> classes : splits.values()) {
            all.addAll(classes.keySet());
        }
        return List.copyOf(all);
    }

    /**
     * Returns the class folders of one split, including empty ones.
     *
     * @param split a split name
     * @return its class names, sorted
     * @throws TransferKitException when there is no such split
     */
    public List<String> classes(String split) {
        return List.copyOf(split(split).keySet());
    }

    /**
     * Returns the images of one split.
     *
     * @param split a split name, e.g. {@code "train"}
     * @return the images sorted by class name, then by path relative to the class folder
     * @throws TransferKitException when there is no such split
     */
    public List<LabeledImage> images(String split) {
        List<LabeledImage> out = new ArrayList<>();
        for (Map.Entry<String, List<Path>> e : split(split).entrySet()) {
            for (Path p : e.getValue()) {
                out.add(new LabeledImage(p, e.getKey()));
            }
        }
        return out;
    }

    /**
     * Returns the number of images per class of one split.
     *
     * @param split a split name
     * @return class name to image count, sorted by class
     * @throws TransferKitException when there is no such split
     */
    public Map<String, Integer> counts(String split) {
        Map<String, Integer> out = new LinkedHashMap<>();
        split(split).forEach((c, images) -> out.put(c, images.size()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Returns the classes of a model trained on this dataset: the class folders of the {@code train} split when
     * there is one, else the classes of all splits.
     *
     * @return the encoder, classes sorted by name
     * @throws TransferKitException when there are no class folders at all
     */
    public LabelEncoder labelEncoder() {
        List<String> names = splits.containsKey(TRAIN) ? classes(TRAIN) : classes();
        if (names.isEmpty()) {
            throw new TransferKitException("The dataset " + root + " has no class folders"
                    + (splits.containsKey(TRAIN) ? " in its '" + TRAIN + "' split" : "") + ", so it defines no classes.");
        }
        return LabelEncoder.fromList(names);
    }

    /**
     * Returns the classes of {@link #labelEncoder()} that have no images in a split (no folder, or an empty one).
     * A validation split may legitimately lack a rare class; this makes it visible.
     *
     * @param split a split name
     * @return the missing class names, sorted
     * @throws TransferKitException when there is no such split
     */
    public List<String> missingClasses(String split) {
        Map<String, List<Path>> classes = split(split);
        List<String> missing = new ArrayList<>();
        for (String c : labelEncoder().toList()) {
            List<Path> images = classes.get(c);
            if (images == null || images.isEmpty()) {
                missing.add(c);
            }
        }
        return missing;
    }

    /** @return the class folders, in any split, that hold no images; sorted by split then class */
    public List<Path> emptyClasses() {
        return emptyClasses;
    }

    private Map<String, List<Path>> split(String split) {
        Map<String, List<Path>> classes = splits.get(split);
        if (classes == null) {
            throw new TransferKitException("The dataset " + root + " has no split '" + split + "'; its splits are "
                    + splits.keySet() + ".");
        }
        return classes;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ImageFolder(").append(root);
        splits.forEach((split, classes) -> sb.append(", ").append(split).append(": ")
                .append(classes.values().stream().mapToInt(List::size).sum()).append(" images in ")
                .append(classes.size()).append(" classes"));
        return sb.append(")").toString();
    }
}
