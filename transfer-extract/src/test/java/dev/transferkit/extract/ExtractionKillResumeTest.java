package dev.transferkit.extract;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills extraction processes with SIGKILL at random moments, many times over, and checks after every kill that the
 * store holds an exact prefix of an uninterrupted run, and at the end that the resumed store equals it: same rows,
 * same bits, same order, same recorded failures.
 *
 * <p>The number of kills is {@code -Dtransferkit.killCycles} (default 20) and the random seed
 * {@code -Dtransferkit.killSeed} (default 7). When a store completes before the kills are used up it is compared,
 * deleted and extracted again, so a long run covers many complete rounds.
 */
class ExtractionKillResumeTest {
    private static final int PER_CLASS = 150;
    private static final int BATCH = 8;
    private static final long PAUSE_MS = 15;
    private static final int MAX_DELAY_MS = 1800;

    @TempDir
    Path dir;

    /** The content of a store, read back whole. */
    private record Snapshot(List<String> paths, int[] labels, float[] features, List<String> failures, boolean complete) {
        static Snapshot of(FeatureStore s) {
            int n = (int) s.rows();
            float[] f = n == 0 ? new float[0] : s.readFeatures(0, n).reshape(-1).toFloatVector();
            return new Snapshot(n == 0 ? List.of() : s.readPaths(0, n), n == 0 ? new int[0] : s.readLabels(0, n), f,
                    s.failures().stream().map(x -> x.path() + " | " + x.reason()).toList(), s.isComplete());
        }

        int rows() {
            return paths.size();
        }
    }

    @Test
    void everyKilledExtractionResumesToTheRowsOfAnUninterruptedRun() throws Exception {
        int cycles = Integer.getInteger("transferkit.killCycles", 20);
        long seed = Long.getLong("transferkit.killSeed", 7);
        Path data = dir.resolve("data");
        TestImages.write(data, "train", PER_CLASS, 11);
        // Two unreadable files, so that recorded failures must survive kills too.
        Files.writeString(data.resolve("train/red/075-broken.png"), "not an image");
        Files.write(data.resolve("train/blue/140-empty.png"), new byte[0]);
        int images = 2 * PER_CLASS + 2;

        Snapshot reference;
        try (FeatureStore ref = ExtractionChild.extractor(BATCH, null).extract(ImageFolder.open(data), "train",
                dir.resolve("reference.h5"))) {
            reference = Snapshot.of(ref);
        }
        assertEquals(2 * PER_CLASS, reference.rows());
        assertEquals(2, reference.failures().size());

        Random random = new Random(seed);
        Path store = dir.resolve("out").resolve("train.h5");
        int kills = 0;
        int killsBeforeFirstCommit = 0;
        int killsWithRows = 0;
        int rounds = 0;
        long rowsCompared = 0;
        int previousRows = 0;
        long start = System.nanoTime();
        while (kills < cycles) {
            // The child needs ~0.7 s from "ready" to its first commit (spec, store, first batch) and ~1 s more for
            // all batches: kills land while the store is created or resumed, between and inside batches, or after
            // the end of the run (then the round is complete and starts over).
            long delayMs = random.nextInt(MAX_DELAY_MS);
            Outcome outcome = runChild(data, store, delayMs);
            if (outcome == Outcome.COMPLETED) {
                Snapshot done = read(store);
                assertSame(reference, done, "round " + (rounds + 1));
                rowsCompared += done.rows();
                rounds++;
                deleteStore(store);
                previousRows = 0;
                continue;
            }
            kills++;
            if (!Files.exists(store)) {
                killsBeforeFirstCommit++;
                continue;
            }
            Snapshot partial = read(store);
            assertPrefix(reference, partial, "after kill " + kills + " (" + delayMs + " ms)");
            rowsCompared += partial.rows();
            killsWithRows += partial.rows() > 0 && !partial.complete() ? 1 : 0;
            assertTrue(partial.rows() >= previousRows, "kill " + kills + " lost committed rows: " + partial.rows()
                    + " < " + previousRows);
            if (partial.complete()) {
                rounds++;
                rowsCompared += compareAndReset(reference, store, partial);
                previousRows = 0;
            } else {
                previousRows = partial.rows();
            }
        }
        // A last, uninterrupted rerun finishes whatever the kills left.
        assertEquals(Outcome.COMPLETED, runChild(data, store, -1));
        Snapshot last = read(store);
        assertSame(reference, last, "final rerun");
        rowsCompared += last.rows();
        rounds++;
        long leftovers;
        try (Stream<Path> files = Files.list(store.getParent())) {
            leftovers = files.filter(p -> p.getFileName().toString().endsWith(".part")).count();
        }
        assertEquals(0, leftovers, "temporary files left by killed writers are cleaned up");
        System.out.printf("kill/resume: %d kills (%d before the store existed, %d mid-run with rows committed), %d complete rounds, %d images per round,"
                        + " %d rows compared with the uninterrupted run, %.1f s%n", kills, killsBeforeFirstCommit, killsWithRows, rounds,
                images, rowsCompared, (System.nanoTime() - start) / 1e9);
    }

    @Test
    void aSecondExtractionOfTheSameStoreIsRefusedWhileTheFirstRuns() throws Exception {
        Path data = dir.resolve("data2");
        TestImages.write(data, "train", 20, 12);
        Path store = dir.resolve("shared.h5");
        Process first = child(data, store, -1); // holds the store after its first batch until store.continue exists
        try (BufferedReader in = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("batch ")) {
                // wait until the first writer holds the store
            }
            Process second = child(data, store, 0);
            String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(second.waitFor(60, TimeUnit.SECONDS));
            assertTrue(second.exitValue() != 0, out);
            // Refused when it opens the store to check it (HDF5 will not open a file another process writes) or,
            // at the latest, when it asks for the writer lock.
            assertTrue(out.contains("StoreLockedException: The feature store " + store) && out.contains(store + ".lock"), out);
            Files.createFile(Path.of(store + ".continue"));
            while (in.readLine() != null) {
                // let the first writer finish
            }
        }
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, first.exitValue());
        Snapshot reference;
        try (FeatureStore ref = ExtractionChild.extractor(BATCH, null).extract(ImageFolder.open(data), "train",
                dir.resolve("reference2.h5"))) {
            reference = Snapshot.of(ref);
        }
        assertSame(reference, read(store), "after the refused second writer");
    }

    private long compareAndReset(Snapshot reference, Path store, Snapshot done) throws IOException {
        assertSame(reference, done, "a store completed just before its kill");
        deleteStore(store);
        return done.rows();
    }

    private static void deleteStore(Path store) throws IOException {
        Files.delete(store);
    }

    private static Snapshot read(Path store) {
        try (FeatureStore s = FeatureStore.openIncomplete(store)) {
            return Snapshot.of(s);
        }
    }

    private static void assertSame(Snapshot expected, Snapshot actual, String when) {
        assertTrue(actual.complete(), when + ": the store is not marked complete");
        assertEquals(expected.paths(), actual.paths(), when + ": row paths or order differ");
        assertArrayEquals(expected.labels(), actual.labels(), when + ": labels differ");
        assertTrue(bitwiseEqual(expected.features(), actual.features(), expected.features().length),
                when + ": features differ");
        assertEquals(expected.failures(), actual.failures(), when + ": recorded failures differ");
    }

    /** A killed store holds the first rows of the uninterrupted run, bit for bit, and no others. */
    private static void assertPrefix(Snapshot expected, Snapshot actual, String when) {
        int n = actual.rows();
        assertTrue(n <= expected.rows(), when + ": more rows than the uninterrupted run");
        assertEquals(expected.paths().subList(0, n), actual.paths(), when + ": rows are not a prefix of the reference");
        assertArrayEquals(Arrays.copyOf(expected.labels(), n), actual.labels(), when + ": labels differ");
        int values = actual.features().length;
        assertEquals(n * (expected.features().length / expected.rows()), values, when + ": feature count");
        assertTrue(bitwiseEqual(expected.features(), actual.features(), values), when + ": features differ");
        assertTrue(expected.failures().containsAll(actual.failures()), when + ": unexpected failures " + actual.failures());
    }

    private static boolean bitwiseEqual(float[] a, float[] b, int n) {
        if (b.length < n || a.length < n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    private enum Outcome { KILLED, COMPLETED }

    /** Starts an extraction child JVM with its output and errors on one stream. */
    private static Process child(Path data, Path store, long pauseMs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ExtractionChild.class.getName(),
                data.toString(), store.toString(), String.valueOf(BATCH), String.valueOf(pauseMs)));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Runs one child extraction; kills it {@code delayMs} after it is ready, or lets it finish when negative. */
    private static Outcome runChild(Path data, Path store, long delayMs) throws Exception {
        Process p = child(data, store, delayMs < 0 ? 0 : PAUSE_MS);
        List<String> output = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
                if (line.equals("ready") && delayMs >= 0) {
                    Thread.sleep(delayMs);
                    if (p.isAlive()) {
                        p.destroyForcibly().waitFor(); // SIGKILL
                        return Outcome.KILLED;
                    }
                }
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("The extraction child failed (exit " + (p.isAlive() ? "none" : p.exitValue()) + "): " + output);
        }
        return output.stream().anyMatch(l -> l.startsWith("complete ")) ? Outcome.COMPLETED : Outcome.KILLED;
    }
}
