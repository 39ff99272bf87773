package dev.transferkit.finetune;

import dev.transferkit.image.LabeledImage;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ValidationHoldoutTest {
    private static List<LabeledImage> images(int a, int b, int c) {
        List<LabeledImage> out = new ArrayList<>();
        for (int i = 0; i < a; i++) {
            out.add(new LabeledImage(Path.of("/d/a/" + i + ".png"), "a"));
        }
        for (int i = 0; i < b; i++) {
            out.add(new LabeledImage(Path.of("/d/b/" + i + ".png"), "b"));
        }
        for (int i = 0; i < c; i++) {
            out.add(new LabeledImage(Path.of("/d/c/" + i + ".png"), "c"));
        }
        return out;
    }

    @Test
    void holdsOutTheFractionOfEveryClassDisjointlyAndCompletely() {
        List<LabeledImage> all = images(50, 20, 7);
        ValidationHoldout h = ValidationHoldout.of(all, 0.1, 42);
        assertEquals(5, h.validation().stream().filter(li -> li.label().equals("a")).count());
        assertEquals(2, h.validation().stream().filter(li -> li.label().equals("b")).count());
        assertEquals(1, h.validation().stream().filter(li -> li.label().equals("c")).count()); // round(0.7) = 1
        Set<LabeledImage> union = new HashSet<>(h.train());
        union.addAll(h.validation());
        assertEquals(all.size(), union.size());
        assertEquals(all.size(), h.train().size() + h.validation().size());
    }

    @Test
    void isDeterministicForASeedAndOrderIndependent() {
        List<LabeledImage> all = images(30, 30, 0);
        List<LabeledImage> reversed = new ArrayList<>(all);
        java.util.Collections.reverse(reversed);
        Set<LabeledImage> first = new HashSet<>(ValidationHoldout.of(all, 0.2, 7).validation());
        assertEquals(first, new HashSet<>(ValidationHoldout.of(reversed, 0.2, 7).validation()));
        assertNotEquals(first, new HashSet<>(ValidationHoldout.of(all, 0.2, 8).validation()));
    }

    @Test
    void aClassWithOneImageKeepsItForTrainingAndNoClassLosesAllItsImages() {
        ValidationHoldout h = ValidationHoldout.of(images(1, 2, 0), 0.5, 1);
        assertTrue(h.train().stream().anyMatch(li -> li.label().equals("a")));
        assertEquals(1, h.validation().size()); // one of b's two
        assertEquals(2, h.train().size());
    }
}
