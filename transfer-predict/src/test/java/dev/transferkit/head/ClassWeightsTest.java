package dev.transferkit.head;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClassWeightsTest {
    @Test
    void explicitWeightsPrintInClassOrderWhateverTheMapsOrder() {
        Map<String, Double> weights = new HashMap<>();
        for (String c : new String[]{"zebra", "cat", "moth", "ant", "dog", "yak", "bee"}) {
            weights.put(c, (double) c.length());
        }
        // A run's fingerprint holds this string: it must not depend on hashing or insertion order.
        assertEquals("{ant=3.0, bee=3.0, cat=3.0, dog=3.0, moth=4.0, yak=3.0, zebra=5.0}", ClassWeights.of(weights).toString());
        assertEquals(ClassWeights.of(weights).toString(), ClassWeights.of(Map.copyOf(weights)).toString());
    }
}
