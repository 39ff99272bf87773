package dev.transferkit.finetune;

import dev.transferkit.image.LabeledImage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic, stratified hold-out of a training split: from every class, {@code round(fraction * n)} images (at
 * least 1 where the class has 2 or more, never all of them), chosen by a seeded shuffle of the class's images in path
 * order (one generator per class, from the seed and the class name), so the same files and seed always give the
 * same hold-out, whatever their order.
 *
 * @param train      the images left for training, in their original order
 * @param validation the held-out images, in their original order
 */
record ValidationHoldout(List<LabeledImage> train, List<LabeledImage> validation) {
    /**
     * Splits a training split.
     *
     * @param images   the training split
     * @param fraction the fraction to hold out, in (0, 0.5]
     * @param seed     the run's seed
     * @return the two parts
     */
    static ValidationHoldout of(List<LabeledImage> images, double fraction, long seed) {
        Map<String, List<LabeledImage>> byClass = new LinkedHashMap<>();
        for (LabeledImage li : images) {
            byClass.computeIfAbsent(li.label(), k -> new ArrayList<>()).add(li);
        }
        java.util.Set<LabeledImage> held = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (String label : new java.util.TreeSet<>(byClass.keySet())) {
            List<LabeledImage> sorted = new ArrayList<>(byClass.get(label));
            sorted.sort(Comparator.comparing(li -> li.path().toString()));
            java.util.Collections.shuffle(sorted, new Random(seed * 31 + label.hashCode()));
            int n = sorted.size();
            int k = n < 2 ? 0 : (int) Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
            held.addAll(sorted.subList(0, k));
        }
        List<LabeledImage> train = new ArrayList<>();
        List<LabeledImage> validation = new ArrayList<>();
        for (LabeledImage li : images) {
            (held.contains(li) ? validation : train).add(li);
        }
        return new ValidationHoldout(List.copyOf(train), List.copyOf(validation));
    }
}
