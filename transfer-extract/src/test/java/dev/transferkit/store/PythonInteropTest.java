package dev.transferkit.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A store written by Java reads back in Python with h5py. The test fails when h5py is missing, so that CI cannot
 * silently skip it; set {@code -Dtransferkit.skipPythonInterop=true} where Python is deliberately absent.
 * Needs {@code apt-get install -y python3-h5py python3-numpy} (Debian 12: h5py 3.7 on HDF5 1.10.8).
 */
class PythonInteropTest {
    /** The interpreter; {@code -Dtransferkit.python=...} picks another one. */
    private static final String PYTHON = System.getProperty("transferkit.python", "/usr/bin/python3");
    private static final String SKIP = "transferkit.skipPythonInterop";
    private static final int DIM = 9;

    @TempDir
    Path dir;

    @Test
    void h5pyReadsWhatJavaWrote() throws Exception {
        requireH5py();
        Path file = dir.resolve("interop.h5");
        int rows = 70;
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), rows + 1)) {
            TestStores.appendRows(w, 0, rows, 16, DIM);
            w.recordFailure("bilder/defekt_ø.jpg", "Ungültiges JPEG");
            w.markComplete();
        }
        double sum = 0;
        double absSum = 0;
        long labelSum = 0;
        try (FeatureStore store = FeatureStore.open(file)) {
            float[] all = store.readFeatures(0, rows).data().asFloat();
            for (float v : all) {
                sum += v;
                absSum += Math.abs(v);
            }
            for (int l : store.readLabels(0, rows)) {
                labelSum += l;
            }
        }
        JsonNode py = runScript(file);
        assertEquals("transferkit-feature-store", py.get("format").asText());
        assertEquals(1, py.get("format_version").asInt());
        assertEquals(1, py.get("complete").asInt());
        assertEquals(rows, py.get("rows").asInt());
        assertEquals(DIM, py.get("dim").asInt());
        assertEquals("float32", py.get("feature_dtype").asText());
        assertEquals(sum, py.get("feature_sum").asDouble(), 1e-9 * absSum);
        assertEquals(absSum, py.get("feature_abs_sum").asDouble(), 1e-9 * absSum);
        float[] first = TestStores.row(0, DIM);
        for (int i = 0; i < DIM; i++) {
            assertEquals(first[i], (float) py.get("first_row").get(i).asDouble());
        }
        assertEquals(labelSum, py.get("label_sum").asLong());
        List<String> paths = new ArrayList<>();
        py.get("paths").forEach(p -> paths.add(p.asText()));
        assertEquals(TestStores.paths(0, rows), paths);
        List<String> labelNames = new ArrayList<>();
        py.get("label_names").forEach(l -> labelNames.add(l.asText()));
        assertEquals(TestStores.LABELS, labelNames);
        assertEquals("out_relu", py.get("layer").asText());
        assertEquals("[[\"bilder/defekt_ø.jpg\",\"Ungültiges JPEG\"]]", py.get("failures").toString());
        assertEquals("[71," + DIM + "]", py.get("chunks").toString());
        assertEquals("gzip", py.get("compression").asText());
        assertEquals(4, py.get("compression_opts").asInt());
        assertTrue(py.get("shuffle").asBoolean());
    }

    private static void requireH5py() throws Exception {
        if (Boolean.getBoolean(SKIP)) {
            Assumptions.abort("Python interop skipped because -D" + SKIP + "=true.");
        }
        boolean available;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import h5py").redirectErrorStream(true).start();
            available = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available) {
            fail(PYTHON + " cannot import h5py, so the Python interop of the feature store cannot be checked. Install it"
                    + " (apt-get install -y python3-h5py python3-numpy) or run with -D" + SKIP + "=true.");
        }
    }

    private static JsonNode runScript(Path store) throws Exception {
        Path script = Path.of("src/test/python/read_store.py").toAbsolutePath();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        Process p = new ProcessBuilder(PYTHON, script.toString(), store.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "read_store.py did not finish");
        assertEquals(0, p.exitValue(), () -> "read_store.py failed: " + out);
        return new ObjectMapper().readTree(out);
    }
}
