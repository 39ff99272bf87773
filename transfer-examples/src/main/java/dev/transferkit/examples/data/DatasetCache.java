package dev.transferkit.examples.data;

import dev.transferkit.core.AtomicFiles;
import dev.transferkit.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Builds a dataset directory so that it is either complete or absent, and checks a cached one before reuse.
 *
 * <p>The dataset is built in a hidden temporary directory beside its final place. When the build has finished,
 * the images are counted and a manifest ({@value #MANIFEST}: the settings and the count of every split/class) is
 * written as the last file; only then is the directory renamed into place. A later call finds the manifest,
 * checks that the settings match and that the files on disk still have the recorded counts, and reuses the
 * directory. A directory without a manifest is never taken for a dataset.
 */
final class DatasetCache {
    /** The manifest file, written last into every finished dataset. */
    static final String MANIFEST = "transferkit-dataset.properties";
    private static final Logger LOG = LoggerFactory.getLogger(DatasetCache.class);
    private static final String SETTING = "setting.";
    private static final String COUNT = "count.";

    private DatasetCache() {
    }

    /** Writes a dataset's files into an empty directory. */
    @FunctionalInterface
    interface Build {
        /**
         * @param dir the empty directory to fill with {@code <split>/<class>/<file>} and any notice files
         * @throws IOException when writing fails
         */
        void into(Path dir) throws IOException;
    }

    /**
     * Returns the summary of a complete dataset at {@code root}, building it first when it does not exist.
     *
     * @param root     where the dataset lives
     * @param settings what the dataset was built from; a cached dataset with other settings is refused
     * @param build    writes the dataset; called only when {@code root} does not exist
     * @return the verified counts of the dataset at {@code root}
     * @throws DatasetException when a cached dataset is incomplete or changed, or the build fails
     */
    static DatasetSummary obtain(Path root, Map<String, String> settings, Build build) {
        Path target = root.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return verify(target, settings);
        }
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".part-");
            LOG.info("Building the dataset {} in {}", target.getFileName(), tmp);
            build.into(tmp);
            DatasetSummary summary = DatasetSummary.scan(tmp);
            writeManifest(tmp.resolve(MANIFEST), settings, summary);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                if (!Files.exists(target.resolve(MANIFEST))) {
                    throw e;
                }
                LOG.info("Another process finished {} first; using its copy", target);
                return verify(target, settings);
            }
            tmp = null;
            DatasetSummary result = new DatasetSummary(target, summary.counts());
            LOG.info("Built {}", result);
            return result;
        } catch (IOException e) {
            throw new DatasetException("Could not build the dataset " + target + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    FileTrees.deleteRecursively(tmp);
                } catch (IOException e) {
                    LOG.warn("Could not delete the unfinished dataset directory {}: {}", tmp, e.toString());
                }
            }
        }
    }

    private static DatasetSummary verify(Path root, Map<String, String> settings) {
        Path manifest = root.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new DatasetException("The directory " + root + " exists but is not a complete dataset (it has no "
                    + MANIFEST + ", which is written last); delete it and run again.");
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new DatasetException("Could not read the dataset manifest " + manifest + ": " + e
                    + ". Delete " + root + " and run again.", e);
        }
        Map<String, String> recorded = new TreeMap<>();
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key);
            if (key.startsWith(SETTING)) {
                recorded.put(key.substring(SETTING.length()), value);
            } else if (key.startsWith(COUNT)) {
                String[] parts = key.substring(COUNT.length()).split("/", -1);
                int n;
                try {
                    n = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (parts.length != 2 || n < 0) {
                    throw new DatasetException("The dataset manifest " + manifest + " has the malformed entry '" + key
                            + "=" + value + "'; delete " + root + " and run again.");
                }
                counts.computeIfAbsent(parts[0], k -> new TreeMap<>()).put(parts[1], n);
            }
        }
        if (!recorded.equals(new TreeMap<>(settings))) {
            throw new DatasetException("The dataset " + root + " was built with the settings " + recorded
                    + ", not " + new TreeMap<>(settings) + "; delete it and run again.");
        }
        DatasetSummary expected = new DatasetSummary(root, counts);
        DatasetSummary actual = DatasetSummary.scan(root);
        if (!expected.equals(actual)) {
            throw new DatasetException("The dataset " + root + " was changed after it was built: its manifest "
                    + MANIFEST + " records " + expected.counts() + " images but the directory holds "
                    + actual.counts() + ". Delete it and run again.");
        }
        LOG.debug("Using the cached dataset {}", root);
        return expected;
    }

    private static void writeManifest(Path file, Map<String, String> settings, DatasetSummary summary)
            throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# TransferKit dataset manifest, written after every image; do not edit.\n");
        new TreeMap<>(settings).forEach((k, v) -> sb.append(escape(SETTING + k)).append('=').append(escape(v)).append('\n'));
        summary.counts().forEach((split, classes) -> classes.forEach((cls, n) ->
                sb.append(escape(COUNT + split + "/" + cls)).append('=').append(n).append('\n')));
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** Escapes a key or value for {@link Properties#load(Reader)}. */
    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\', '=', ':', '#', '!', ' ' -> sb.append('\\').append(c);
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
