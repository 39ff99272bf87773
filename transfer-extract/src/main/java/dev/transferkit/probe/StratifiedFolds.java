package dev.transferkit.probe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Deterministic stratified k-fold assignment: each class's examples are shuffled with a fixed seed and dealt to the
 * folds in turn, so every fold holds each class in proportion and the same data always gives the same folds.
 */
final class StratifiedFolds {
    private StratifiedFolds() {
    }

    /**
     * Assigns examples to folds.
     *
     * @param y       class index per example
     * @param classes the class names by index, for messages
     * @param k       the number of folds, at least 2
     * @param seed    the shuffle seed
     * @return the fold of each example, in {@code [0, k)}
     * @throws IllegalArgumentException naming the class when a class has fewer examples than folds, or when there are
     *                                  fewer than two classes with examples
     */
    static int[] assign(int[] y, List<String> classes, int k, long seed) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < y.length; i++) {
            byClass.get(y[i]).add(i);
        }
        long present = byClass.stream().filter(l -> !l.isEmpty()).count();
        if (present < 2) {
            throw new IllegalArgumentException("Cross-validation needs at least two classes with examples, but the "
                    + y.length + " examples are all of " + (present == 0 ? "no class" : "one class") + " " + classes
                    .stream().filter(c -> !byClass.get(classes.indexOf(c)).isEmpty()).toList() + ".");
        }
        for (int c = 0; c < classes.size(); c++) {
            int n = byClass.get(c).size();
            if (n > 0 && n < k) {
                throw new IllegalArgumentException("The class '" + classes.get(c) + "' has " + n + " example(s), fewer"
                        + " than the " + k + " cross-validation folds; add images or use fewer folds.");
            }
        }
        int[] fold = new int[y.length];
        Random random = new Random(seed);
        for (List<Integer> members : byClass) {
            Collections.shuffle(members, random);
            for (int j = 0; j < members.size(); j++) {
                fold[members.get(j)] = j % k;
            }
        }
        return fold;
    }
}
