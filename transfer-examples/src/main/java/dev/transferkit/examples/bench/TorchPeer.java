package dev.transferkit.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the PyTorch peer script ({@code torch_peer.py <net> <batch> <threads>}, random weights, eval mode, no_grad) in
 * a child process and reads its median images per second.
 */
final class TorchPeer {
    private static final Pattern MEDIAN = Pattern.compile("median ([0-9.]+) img/s");

    private final String python;
    private final Path script;

    TorchPeer(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /** @return whether the script exists */
    boolean available() {
        return Files.isRegularFile(script);
    }

    /**
     * @param torchName the torchvision model name
     * @param batch     batch size
     * @param threads   torch threads
     * @return the median images per second, or empty when the peer failed (its output is printed)
     */
    OptionalDouble imagesPerSecond(String torchName, int batch, int threads) {
        try {
            Process p = new ProcessBuilder(List.of(python, script.toString(), torchName, String.valueOf(batch),
                    String.valueOf(threads))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return OptionalDouble.empty();
            }
            Matcher m = MEDIAN.matcher(out);
            if (p.exitValue() == 0 && m.find()) {
                return OptionalDouble.of(Double.parseDouble(m.group(1)));
            }
            System.out.println("PyTorch peer failed for " + torchName + ": " + out.strip());
        } catch (IOException e) {
            System.out.println("PyTorch peer could not start (" + python + " " + script + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OptionalDouble.empty();
    }
}
