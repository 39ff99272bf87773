package dev.transferkit.cli;

import dev.transferkit.examples.TinyData;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stopping a long command (as Ctrl-C does) says what was kept and that rerunning resumes; rerunning does. */
class InterruptTest {
    @Test
    void anInterruptedExtractionSaysHowToResumeAndTheSameCommandResumesIt(@TempDir Path dir) throws Exception {
        Path model = TinyData.modelZip(dir.resolve("tiny.zip"));
        Path data = TinyData.dataset(dir.resolve("data"), 600);
        Path store = dir.resolve("out").resolve("train.h5");
        String[] args = {"extract", "-m", model.toString(), "-d", data.toString(), "-s", "train", "-l", "conv2",
                "-b", "1", "-o", store.toString()};
        try (ChildJvm child = ChildJvm.start(Main.class, args)) {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!Files.exists(store) && System.nanoTime() < deadline) { // the store exists, incomplete, from the first batch
                Thread.sleep(5);
            }
            assertTrue(Files.exists(store), "the extraction never started writing: " + child.output());
            child.terminate();
            String output = String.join("\n", child.output());
            assertTrue(output.contains("Interrupted: " + store + " keeps the rows written so far; run the same command "
                    + "again to resume from there."), output);
        }
        assertEquals(0, Main.execute(System.out, System.err, args));
        try (FeatureStore s = FeatureStore.open(store)) {
            assertTrue(s.isComplete());
            assertEquals(1200, s.rows());
        }
    }
}
