package dev.transferkit.head;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs an independent Python reference (Debian's /usr/bin/python3 with its numpy/scikit-learn/h5py) and returns its stdout. */
final class PythonCheck {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private PythonCheck() {
    }

    static String run(Path script, String... args) throws Exception {
        assertTrue(Files.isExecutable(PYTHON), "Debian's python3 is needed for the cross-check (.ci/run installs it).");
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the Python reference did not finish");
        assertEquals(0, p.exitValue(), "the Python reference failed (is python3-sklearn installed?):\n" + out);
        return out.trim();
    }
}
