package dev.transferkit.examples.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs scikit-learn's side of {@link HeadBench} ({@code scripts/sklearn_head_bench.py}) in a child process and
 * reads the JSON object it prints.
 */
final class SklearnHeadPeer {
    private final String python;
    private final Path script;

    SklearnHeadPeer(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /** @return whether the script exists */
    boolean available() {
        return Files.isRegularFile(script);
    }

    /**
     * @param args the script's arguments
     * @return its result (fit_seconds, accuracy, balanced_accuracy, C, ...), or empty when it failed (its output is
     *         printed)
     */
    Optional<Map<String, Object>> run(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() == 0 && out.startsWith("{")) {
                return Optional.of(new ObjectMapper().readValue(out, new TypeReference<Map<String, Object>>() { }));
            }
            System.out.println("scikit-learn peer failed (" + String.join(" ", cmd) + "): " + out);
        } catch (IOException e) {
            System.out.println("scikit-learn peer could not start (" + String.join(" ", cmd) + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }
}
