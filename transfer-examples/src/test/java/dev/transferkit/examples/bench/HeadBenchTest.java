package dev.transferkit.examples.bench;

import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HeadBench on tiny stores: a given store split by row index, and a synthetic pair, against scikit-learn. */
class HeadBenchTest {
    @TempDir
    Path dir;

    @Test
    void timesBothSystemsOnAGivenStoreAndASyntheticOne() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "Debian's python3 with scikit-learn and h5py is needed");
        SyntheticStores given = new SyntheticStores(100, 3, 2.5, 11);
        given.write(dir.resolve("given.h5"), 300, "given");
        try (FeatureStore store = FeatureStore.open(dir.resolve("given.h5"))) {
            assertEquals(300, store.rows());
            assertEquals(List.of("class0", "class1", "class2"), store.labelNames());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<HeadBench.Result> results = HeadBench.run(Map.of("store", dir.resolve("given.h5").toString(),
                "synthetic-rows", "150", "synthetic-test-rows", "60", "synthetic-dim", "400", "synthetic-signal", "1.0",
                "cs", "0.01,1", "work", dir.resolve("work").toString(), "script", "../scripts/sklearn_head_bench.py"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(4, results.size(), out);
        assertTrue(out.contains("flags:") && out.contains("| data | train rows x dim |"), out);
        for (String data : List.of("given.h5", "synthetic")) {
            HeadBench.Result tk = results.stream().filter(r -> r.data().equals(data) && r.system().equals("TransferKit lbfgs")).findFirst().orElseThrow();
            HeadBench.Result sk = results.stream().filter(r -> r.data().equals(data) && r.system().startsWith("scikit-learn")).findFirst().orElseThrow();
            // The same split on both sides: 240 training rows of the given store (every 5th row held out), 150 synthetic.
            assertEquals(sk.trainRows(), tk.trainRows(), data);
            assertEquals(sk.testRows(), tk.testRows(), data);
            assertEquals(data.equals("synthetic") ? 150 : 240, tk.trainRows());
            assertTrue(tk.accuracy() > 0.5 && tk.balancedAccuracy() > 0.5, data + " is learnable: " + out);
            assertEquals(sk.balancedAccuracy(), tk.balancedAccuracy(), 0.1, data + ": same objective, folds may differ\n" + out);
            assertTrue(tk.fitSeconds() > 0 && sk.fitSeconds() > 0 && tk.cpuSeconds() > 0, out);
        }
    }
}
