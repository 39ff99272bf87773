package dev.transferkit.model;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageNetClassesTest {
    @Test
    void thousandClassesInTheStandardOrder() {
        List<String> labels = ImageNetClasses.labels();
        assertEquals(1000, labels.size());
        // Spot checks of the ILSVRC-2012 / Keras imagenet_class_index order.
        assertEquals("tench, Tinca tinca", labels.get(0));
        assertEquals("goldfish, Carassius auratus", labels.get(1));
        assertEquals("Egyptian cat", labels.get(285));
        assertEquals("toilet tissue, toilet paper, bathroom tissue", labels.get(999));
        // ImageNet has two "crane" classes (the bird and the machine) and otherwise distinct names ("maillot" and "maillot, tank suit" differ).
        assertEquals("crane", labels.get(134));
        assertEquals("crane", labels.get(517));
        assertEquals(999, new HashSet<>(labels).size());
        assertTrue(labels.stream().noneMatch(l -> l.isBlank() || !l.strip().equals(l)));
        assertThrows(UnsupportedOperationException.class, () -> labels.set(0, "x"));
    }
}
