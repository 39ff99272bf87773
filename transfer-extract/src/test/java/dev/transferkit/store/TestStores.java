package dev.transferkit.store;

import dev.transferkit.extract.Pooling;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Specs and deterministic generated rows shared by the store tests and the child JVMs they start. */
final class TestStores {
    static final List<String> LABELS = List.of("Apfel", "Brötchen", "Käse");

    private TestStores() {
    }

    static StoreSpec spec(int dim) {
        return StoreSpec.builder().setModel("mobilenet_v2").setLayer("out_relu").setPooling(Pooling.AVG)
                .setPreprocessing(Preprocessing.TF).setInputSpec(new InputSpec(224, 224, 3, DataFormat.NHWC))
                .setFeatureDim(dim).setLabelNames(LABELS).build();
    }

    /** The features of row {@code r}: a pure function of r, so every run (and every JVM) produces the same rows. */
    static float[] row(long r, int dim) {
        Random random = new Random(1000003L * r + 17);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    static int label(long r) {
        return (int) (r % LABELS.size());
    }

    /** Non-ASCII paths, so that UTF-8 handling is exercised everywhere. */
    static String path(long r) {
        return "bilder/" + LABELS.get(label(r)) + "/größe_" + r + "_日本.jpg";
    }

    static float[][] features(long from, int n, int dim) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = row(from + i, dim);
        }
        return out;
    }

    static int[] labels(long from, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = label(from + i);
        }
        return out;
    }

    static List<String> paths(long from, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(path(from + i));
        }
        return out;
    }

    /** Appends rows [from, to) in batches of {@code batch}. */
    static void appendRows(FeatureStoreWriter w, long from, long to, int batch, int dim) {
        for (long r = from; r < to; r += batch) {
            int n = (int) Math.min(batch, to - r);
            w.append(features(r, n, dim), labels(r, n), paths(r, n));
        }
    }

    /** Writes a complete store with rows [0, rows). */
    static Path writeComplete(Path file, int rows, int dim, int batch) {
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, spec(dim), rows)) {
            appendRows(w, 0, rows, batch, dim);
            w.markComplete();
        }
        return file;
    }
}
