package dev.transferkit.head;

import java.util.Arrays;
import java.util.Random;

/**
 * A stratified k-fold split: the rows of each class, shuffled with a seed, are dealt round-robin over the folds, so
 * every fold holds each class in proportion and fold sizes differ by at most one. Immutable.
 */
final class Folds {
    private final int[] foldOf;
    private final int count;

    private Folds(int[] foldOf, int count) {
        this.foldOf = foldOf;
        this.count = count;
    }

    /**
     * @param y       class index per row
     * @param classes number of classes
     * @param count   number of folds
     * @param seed    shuffling seed
     * @return the split
     */
    static Folds stratified(int[] y, int classes, int count, long seed) {
        Random random = new Random(seed);
        int[] foldOf = new int[y.length];
        int next = 0;
        for (int c = 0; c < classes; c++) {
            int cls = c;
            int[] rows = java.util.stream.IntStream.range(0, y.length).filter(i -> y[i] == cls).toArray();
            for (int i = rows.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = rows[i];
                rows[i] = rows[j];
                rows[j] = t;
            }
            for (int row : rows) {
                foldOf[row] = next;
                next = (next + 1) % count;
            }
        }
        return new Folds(foldOf, count);
    }

    /** @return the number of folds */
    int count() {
        return count;
    }

    /** @return the rows outside fold {@code f}, ascending */
    int[] train(int f) {
        return java.util.stream.IntStream.range(0, foldOf.length).filter(i -> foldOf[i] != f).toArray();
    }

    /** @return the rows of fold {@code f}, ascending */
    int[] heldOut(int f) {
        return java.util.stream.IntStream.range(0, foldOf.length).filter(i -> foldOf[i] == f).toArray();
    }

    @Override
    public String toString() {
        int[] sizes = new int[count];
        for (int f : foldOf) {
            sizes[f]++;
        }
        return "Folds(" + Arrays.toString(sizes) + ")";
    }
}
