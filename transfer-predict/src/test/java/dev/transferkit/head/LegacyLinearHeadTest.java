package dev.transferkit.head;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Heads saved by the liblinear-only version (fixtures in resources/dev/transferkit/head/legacy, see its README) still
 * load through {@link HeadCodec} and score as that version did.
 */
class LegacyLinearHeadTest {
    @ParameterizedTest
    @ValueSource(strings = {"lr-3-classes", "lr-2-classes-first-row-class-1", "svm-2-classes", "svm-3-classes-first-row-class-2"})
    void headsSavedAsLiblinearTextLoadAndScoreAsBefore(String name) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(resource(name + ".json"));
        byte[] text = resource(name + ".liblinear.txt");
        assertEquals(HeadCodec.LIBLINEAR_ENTRY, meta.get("entry").asText());
        List<String> labels = new ArrayList<>();
        meta.get("labels").forEach(l -> labels.add(l.asText()));
        Map<String, String> info = new LinkedHashMap<>();
        meta.get("info").fields().forEachRemaining(e -> info.put(e.getKey(), e.getValue().asText()));

        Head head = HeadCodec.decode(Map.of(HeadCodec.LIBLINEAR_ENTRY, text), labels, meta.get("inputDim").asInt(), info);

        LinearHead linear = (LinearHead) head;
        assertEquals(labels, head.labels());
        assertEquals(meta.get("probabilistic").asBoolean(), head.probabilistic());
        assertFalse(linear.standardized());
        assertEquals(info, linear.info());
        for (int i = 0; i < meta.get("rows").size(); i++) {
            JsonNode row = meta.get("rows").get(i);
            float[] x = new float[row.size()];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) row.get(j).asDouble();
            }
            double[] scores = head.scores(x);
            for (int k = 0; k < scores.length; k++) {
                // Margins and two-class probabilities are liblinear's arithmetic exactly; more classes' probabilities
                // are normalised in class order rather than liblinear's label order, so the last bits may differ.
                assertEquals(meta.get("scores").get(i).get(k).asDouble(), scores[k], 1e-15, name + " row " + i + " class " + k);
            }
        }
        // Saving writes the current format, which scores identically.
        Map<String, byte[]> resaved = HeadCodec.encode(head);
        assertEquals(List.of(HeadCodec.LINEAR_ENTRY), List.copyOf(resaved.keySet()));
        Head back = HeadCodec.decode(resaved, labels, head.inputDim(), info);
        float[] probe = new float[head.inputDim()];
        java.util.Arrays.fill(probe, 0.5f);
        assertEquals(java.util.Arrays.toString(head.scores(probe)), java.util.Arrays.toString(back.scores(probe)));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LegacyLinearHeadTest.class.getResourceAsStream("legacy/" + name)) {
            assertNotNull(in, "missing fixture legacy/" + name);
            return in.readAllBytes();
        }
    }
}
