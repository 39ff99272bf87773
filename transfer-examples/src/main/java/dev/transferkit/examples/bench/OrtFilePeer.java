package dev.transferkit.examples.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The plain ONNX Runtime peer: torchvision's own ONNX export of an architecture (random weights, made by
 * {@code scripts/export_torchvision_onnx.py} with Debian's python3-torch) run in a bare ONNX Runtime session with all
 * optimisations, the given intra-op threads and one inter-op thread (ONNX Runtime's defaults otherwise, so its threads
 * spin-wait), as a Java user of ONNX Runtime would run it; timed like TransferKit (median of samples of at least 0.3 s).
 */
final class OrtFilePeer {
    private final String python;
    private final Path script;
    private final Path dir;

    /**
     * @param python the Python with torch and torchvision
     * @param script the export script
     * @param dir    where exported models are kept between runs
     */
    OrtFilePeer(String python, Path script, Path dir) {
        this.python = python;
        this.script = script;
        this.dir = dir;
    }

    /**
     * Exports a model unless it was exported before.
     *
     * @param torchName the torchvision model name
     * @return the ONNX file, or null when the export failed (its output is printed)
     */
    Path export(String torchName) {
        Path file = dir.resolve(torchName + ".onnx");
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Process p = new ProcessBuilder(python, script.toString(), dir.toString(), torchName).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(20, TimeUnit.MINUTES) && p.exitValue() == 0 && Files.isRegularFile(file)) {
                return file;
            }
            System.out.println("torchvision export failed for " + torchName + ": " + out.strip());
        } catch (IOException e) {
            System.out.println("torchvision export could not start (" + python + " " + script + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /**
     * Times the exported model.
     *
     * @param torchName the torchvision model name
     * @param size      input height and width
     * @param batch     batch size
     * @param threads   intra-op threads
     * @param iters     timed samples after warm-up runs
     * @return the median images per second, or empty when the model could not be exported or run
     */
    OptionalDouble imagesPerSecond(String torchName, int size, int batch, int threads, int iters) {
        Path file = export(torchName);
        if (file == null) {
            return OptionalDouble.empty();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(file.toString(), o)) {
                String in = session.getInputNames().iterator().next();
                float[] x = new float[batch * 3 * size * size];
                Random r = new Random(1);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{batch, 3, size, size})) {
                    session.run(Map.of(in, t)).close();
                    return OptionalDouble.of(InferenceBench.imagesPerSecond(() -> {
                        try {
                            session.run(Map.of(in, t)).close();
                        } catch (OrtException e) {
                            throw new IllegalStateException(e);
                        }
                    }, batch, iters));
                }
            }
        } catch (OrtException e) {
            System.out.println("ONNX Runtime peer failed for " + torchName + ": " + e.getMessage());
            return OptionalDouble.empty();
        }
    }
}
