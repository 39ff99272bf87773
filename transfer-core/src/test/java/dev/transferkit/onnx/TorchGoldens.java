package dev.transferkit.onnx;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code src/test/python/export_onnx_goldens.py} with Debian's PyTorch and reads what it writes: ONNX files of
 * torchvision models with random weights, their input and PyTorch's outputs.
 */
final class TorchGoldens {
    static final Path PYTHON = Paths.get("/usr/bin/python3");
    static final Path SCRIPT = Paths.get("src/test/python/export_onnx_goldens.py");

    private TorchGoldens() {
    }

    /**
     * @return null when python3 with torch and torchvision can run, else why not
     */
    static String unavailableReason() throws InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return PYTHON + " is missing; install python3-torch and python3-torchvision to run the golden tests.";
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, torchvision")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "python3 cannot import torch and torchvision (install python3-torch and python3-torchvision): "
                        + out.trim();
            }
        } catch (IOException e) {
            return "python3 could not start: " + e.getMessage();
        }
        return null;
    }

    /**
     * Exports models.
     *
     * @param dir   where to write
     * @param specs NAME:SIZE:OPSET:MODE:FEATURE specs (see the script)
     */
    static void export(Path dir, List<String> specs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(), dir.toString()));
        command.addAll(specs);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("The export script failed:\n" + out);
        }
    }

    /**
     * Reads the arrays written for one model.
     *
     * @param dir  the export directory
     * @param name the model name
     * @return input, output and feature, by key
     */
    static Map<String, INDArray> arrays(Path dir, String name) throws IOException {
        Map<String, INDArray> arrays = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve(name + ".shapes.txt"))) {
            String[] parts = line.trim().split(" ");
            long[] shape = new long[parts.length - 1];
            for (int i = 1; i < parts.length; i++) {
                shape[i - 1] = Long.parseLong(parts[i]);
            }
            byte[] bytes = Files.readAllBytes(dir.resolve(name + "." + parts[0] + ".f32"));
            float[] values = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            arrays.put(parts[0], Nd4j.create(values, shape, 'c'));
        }
        return arrays;
    }
}
