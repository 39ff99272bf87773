package dev.transferkit.examples.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The number of images per split and class of a dataset in the image-folder layout
 * {@code <root>/<split>/<class>/<file>}. Splits are ordered train, val, validation, test, then alphabetically;
 * classes alphabetically. {@link #toString()} prints the counts as a table.
 */
public final class DatasetSummary {
    private static final List<String> SPLIT_ORDER = List.of("train", "val", "validation", "test");
    private static final Comparator<String> SPLITS = Comparator
            .comparingInt((String s) -> SPLIT_ORDER.contains(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.size())
            .thenComparing(Comparator.naturalOrder());

    private final Path root;
    private final Map<String, Map<String, Integer>> counts;

    /**
     * Creates a summary from counts.
     *
     * @param root   the dataset root the counts describe
     * @param counts images per split, then per class; copied
     * @throws IllegalArgumentException when a count is negative or a split has no classes
     */
    public DatasetSummary(Path root, Map<String, ? extends Map<String, Integer>> counts) {
        this.root = Objects.requireNonNull(root, "root");
        Map<String, Map<String, Integer>> copy = new TreeMap<>(SPLITS);
        counts.forEach((split, classes) -> {
            if (classes.isEmpty()) {
                throw new IllegalArgumentException("The split '" + split + "' of " + root + " has no classes.");
            }
            Map<String, Integer> c = new TreeMap<>();
            classes.forEach((cls, n) -> {
                if (n == null || n < 0) {
                    throw new IllegalArgumentException("The count of " + split + "/" + cls + " in " + root
                            + " must be zero or more, but was " + n + ".");
                }
                c.put(cls, n);
            });
            copy.put(split, Collections.unmodifiableMap(c));
        });
        this.counts = Collections.unmodifiableMap(copy);
    }

    /**
     * Counts the regular files in every {@code <split>/<class>/} directory under a root. Files directly in the root
     * (such as LICENSE) and hidden entries (names starting with a dot) are ignored.
     *
     * @param root the dataset root
     * @return the counts found on disk
     * @throws DatasetException when the root cannot be listed
     */
    public static DatasetSummary scan(Path root) {
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        try {
            for (Path split : visibleDirectories(root)) {
                Map<String, Integer> classes = new LinkedHashMap<>();
                for (Path cls : visibleDirectories(split)) {
                    int n = 0;
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(cls)) {
                        for (Path f : files) {
                            if (!hidden(f) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                                n++;
                            }
                        }
                    }
                    classes.put(cls.getFileName().toString(), n);
                }
                if (!classes.isEmpty()) {
                    counts.put(split.getFileName().toString(), classes);
                }
            }
        } catch (IOException e) {
            throw new DatasetException("Could not count the images under " + root + ": " + e, e);
        }
        return new DatasetSummary(root, counts);
    }

    private static List<Path> visibleDirectories(Path dir) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (!hidden(p) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                }
            }
        }
        return dirs;
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    /** @return the dataset root directory */
    public Path root() {
        return root;
    }

    /** @return the split names, train first and test last */
    public List<String> splits() {
        return List.copyOf(counts.keySet());
    }

    /**
     * @param split a split name
     * @return the class names of the split, sorted
     * @throws IllegalArgumentException when the split does not exist
     */
    public List<String> classes(String split) {
        return List.copyOf(split(split).keySet());
    }

    /**
     * @param split a split name
     * @param cls   a class name
     * @return the number of images of that class in that split; 0 when the split has no such class
     * @throws IllegalArgumentException when the split does not exist
     */
    public int count(String split, String cls) {
        return split(split).getOrDefault(cls, 0);
    }

    /**
     * @param split a split name
     * @return the number of images in the split
     * @throws IllegalArgumentException when the split does not exist
     */
    public int total(String split) {
        return split(split).values().stream().mapToInt(Integer::intValue).sum();
    }

    /** @return the number of images in all splits */
    public int total() {
        return counts.keySet().stream().mapToInt(this::total).sum();
    }

    /** @return the counts, split by split and class by class (unmodifiable) */
    public Map<String, Map<String, Integer>> counts() {
        return counts;
    }

    private Map<String, Integer> split(String split) {
        Map<String, Integer> classes = counts.get(split);
        if (classes == null) {
            throw new IllegalArgumentException("The dataset " + root + " has no split '" + split + "'; it has "
                    + counts.keySet() + ".");
        }
        return classes;
    }

    /**
     * Compares counts only; the root is not part of equality.
     *
     * @param o another object
     * @return whether both summaries have the same counts
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSummary other && counts.equals(other.counts);
    }

    @Override
    public int hashCode() {
        return counts.hashCode();
    }

    /**
     * Formats the counts as a table: one row per split plus a total row, one column per class plus a total column.
     *
     * @return the table, headed by the root directory
     */
    @Override
    public String toString() {
        TreeSet<String> classes = new TreeSet<>();
        counts.values().forEach(c -> classes.addAll(c.keySet()));
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("split"));
        header.addAll(classes);
        header.add("total");
        rows.add(header);
        for (String split : counts.keySet()) {
            List<String> row = new ArrayList<>(List.of(split));
            classes.forEach(c -> row.add(Integer.toString(count(split, c))));
            row.add(Integer.toString(total(split)));
            rows.add(row);
        }
        List<String> totals = new ArrayList<>(List.of("total"));
        classes.forEach(c -> totals.add(Integer.toString(counts.keySet().stream().mapToInt(s -> count(s, c)).sum())));
        totals.add(Integer.toString(total()));
        rows.add(totals);

        int[] widths = new int[header.size()];
        rows.forEach(r -> {
            for (int i = 0; i < r.size(); i++) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        });
        StringBuilder sb = new StringBuilder("DatasetSummary(").append(root).append(')');
        for (List<String> r : rows) {
            sb.append(System.lineSeparator());
            for (int i = 0; i < r.size(); i++) {
                String cell = r.get(i);
                if (i == 0) {
                    sb.append(cell).append(" ".repeat(widths[i] - cell.length()));
                } else {
                    sb.append("  ").append(" ".repeat(widths[i] - cell.length())).append(cell);
                }
            }
        }
        return sb.toString();
    }
}
