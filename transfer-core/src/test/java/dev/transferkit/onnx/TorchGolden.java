package dev.transferkit.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A torchvision network with random weights, exported to ONNX by Debian's PyTorch ({@code torchvision_golden.py}),
 * with PyTorch's own outputs on two random images. Exports are kept in {@code target/onnx-golden} between runs.
 *
 * @param model  the ONNX file
 * @param size   the input height and width
 * @param input  the images, NCHW
 * @param output PyTorch's final output
 * @param tensor the ONNX tensor of the intermediate module
 * @param inter  PyTorch's output of that module
 */
record TorchGolden(Path model, int size, INDArray input, INDArray output, String tensor, INDArray inter) {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path DIR = Path.of("target", "onnx-golden");

    /** Skips the calling test, saying why, when Debian's PyTorch is not installed. */
    static void assumeTorch() {
        assumeTrue(Files.isExecutable(PYTHON), "needs /usr/bin/python3 with python3-torch (.ci/run installs it)");
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, torchvision, onnx")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
                    "needs python3-torch, python3-torchvision and python3-onnx (.ci/run installs them): " + out);
        } catch (IOException | InterruptedException e) {
            assumeTrue(false, "could not run " + PYTHON + ": " + e);
        }
    }

    /** Exports (or reuses) a network and loads PyTorch's reference outputs. */
    static TorchGolden of(String name, int size, String module) throws Exception {
        assumeTorch();
        Path script = Path.of("src", "test", "python", "torchvision_golden.py");
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), DIR.toString(), name, String.valueOf(size), module)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the export of " + name + " did not finish");
        assertEquals(0, p.exitValue(), "PyTorch could not export " + name + ":\n" + out);
        JsonNode meta = new ObjectMapper().readTree(DIR.resolve(name + ".json").toFile());
        return new TorchGolden(DIR.resolve(name + ".onnx"), size,
                floats(DIR.resolve(name + ".input.bin"), 2, 3, size, size),
                floats(DIR.resolve(name + ".output.bin"), shape(meta.get("output_shape"))),
                meta.get("tensor").asText(),
                floats(DIR.resolve(name + ".inter.bin"), shape(meta.get("inter_shape"))));
    }

    private static long[] shape(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    static INDArray floats(Path file, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return Nd4j.create(v, shape, 'c');
    }

    /** Largest absolute difference, relative to the reference's largest magnitude when that is above 1. */
    static double difference(INDArray expected, INDArray actual) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()),
                java.util.Arrays.toString(expected.shape()) + " vs " + java.util.Arrays.toString(actual.shape()));
        double scale = Math.max(1, expected.amaxNumber().doubleValue());
        return expected.sub(actual.castTo(expected.dataType())).amaxNumber().doubleValue() / scale;
    }
}
