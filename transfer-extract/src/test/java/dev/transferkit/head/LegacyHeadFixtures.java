package dev.transferkit.head;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes the legacy-format fixtures under src/test/resources/dev/transferkit/head/legacy: heads trained by the
 * liblinear-only LinearHeadTrainer, saved through HeadCodec (liblinear model text), with the scores that version
 * gave for a few feature vectors. Run once, before the linear head format changed; kept in history only.
 */
final class LegacyHeadFixtures {
    private LegacyHeadFixtures() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        write(dir, "lr-3-classes", LinearHeadTrainer.Kind.LOGISTIC_REGRESSION, ClassWeights.uniform(), 3, 0);
        write(dir, "lr-2-classes-first-row-class-1", LinearHeadTrainer.Kind.LOGISTIC_REGRESSION, ClassWeights.balanced(), 2, 1);
        write(dir, "svm-2-classes", LinearHeadTrainer.Kind.LINEAR_SVM, ClassWeights.uniform(), 2, 0);
        write(dir, "svm-3-classes-first-row-class-2", LinearHeadTrainer.Kind.LINEAR_SVM, ClassWeights.uniform(), 3, 2);
    }

    private static void write(Path dir, String name, LinearHeadTrainer.Kind kind, ClassWeights weights, int classes,
                              int firstClass) throws Exception {
        int dim = 5;
        int n = 60;
        Random r = new Random(name.hashCode());
        float[][] x = new float[n][dim];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i + firstClass) % classes;
            for (int d = 0; d < dim; d++) {
                x[i][d] = (float) ((d == y[i] ? 1.5 : 0) + r.nextGaussian() + (d == dim - 1 ? 3 : 0));
            }
        }
        List<String> labels = List.of("cat", "dog", "fox").subList(0, classes);
        LinearHead head = LinearHeadTrainer.builder().setKind(kind).optClassWeights(weights).optC(0.5).build().fit(x, y, labels);
        Map<String, byte[]> entries = HeadCodec.encode(head);
        Files.write(dir.resolve(name + ".liblinear.txt"), entries.get(HeadCodec.LINEAR_ENTRY));
        List<float[]> rows = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = (float) (3 * r.nextGaussian());
            }
            v[i % dim] = 0f;
            rows.add(v);
            scores.add(head.scores(v));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("entry", HeadCodec.LINEAR_ENTRY);
        meta.put("labels", labels);
        meta.put("inputDim", dim);
        meta.put("info", HeadCodec.info(head));
        meta.put("probabilistic", head.probabilistic());
        meta.put("rows", rows);
        meta.put("scores", scores);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(name + ".json").toFile(), meta);
    }
}
