package dev.transferkit.eval;

import java.util.Arrays;
import java.util.List;

/**
 * Counts of (true class, predicted class) pairs. Row {@code t}, column {@code p} counts the examples of true
 * class {@code t} predicted as {@code p}. Immutable.
 */
public final class ConfusionMatrix {
    private final List<String> labels;
    private final long[][] counts;

    private ConfusionMatrix(List<String> labels, long[][] counts) {
        this.labels = labels;
        this.counts = counts;
    }

    /**
     * Tallies predictions.
     *
     * @param labels    the class names, by index
     * @param truth     the true class index of each example
     * @param predicted the predicted class index of each example
     * @return the matrix
     * @throws IllegalArgumentException when the arrays differ in length or hold an index outside the labels
     */
    public static ConfusionMatrix of(List<String> labels, int[] truth, int[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("There are " + truth.length + " true labels but " + predicted.length
                    + " predictions; they must pair up one to one.");
        }
        int k = labels.size();
        long[][] counts = new long[k][k];
        for (int i = 0; i < truth.length; i++) {
            check(truth[i], k, "true label", i);
            check(predicted[i], k, "prediction", i);
            counts[truth[i]][predicted[i]]++;
        }
        return new ConfusionMatrix(List.copyOf(labels), counts);
    }

    private static void check(int c, int k, String what, int i) {
        if (c < 0 || c >= k) {
            throw new IllegalArgumentException("The " + what + " of example " + i + " is class index " + c
                    + ", outside the " + k + " known classes.");
        }
    }

    /** @return the class names, by index */
    public List<String> labels() {
        return labels;
    }

    /**
     * @param truth     true class index
     * @param predicted predicted class index
     * @return how many examples of {@code truth} were predicted as {@code predicted}
     */
    public long count(int truth, int predicted) {
        return counts[truth][predicted];
    }

    /** @param c a class index @return the examples whose true class is {@code c} */
    public long support(int c) {
        return Arrays.stream(counts[c]).sum();
    }

    /** @param c a class index @return the examples predicted as {@code c} */
    public long predictedCount(int c) {
        long s = 0;
        for (long[] row : counts) {
            s += row[c];
        }
        return s;
    }

    /** @return the number of examples */
    public long total() {
        long s = 0;
        for (long[] row : counts) {
            s += Arrays.stream(row).sum();
        }
        return s;
    }

    /** @return the number of correct predictions */
    public long correct() {
        long s = 0;
        for (int i = 0; i < counts.length; i++) {
            s += counts[i][i];
        }
        return s;
    }

    /** @return the matrix as CSV: a header of predicted labels, then one row per true label */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("true\\predicted");
        labels.forEach(l -> sb.append(',').append(Csv.quote(l)));
        sb.append('\n');
        for (int t = 0; t < counts.length; t++) {
            sb.append(Csv.quote(labels.get(t)));
            for (long c : counts[t]) {
                sb.append(',').append(c);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        int w = Math.max(6, labels.stream().mapToInt(String::length).max().orElse(0) + 1);
        StringBuilder sb = new StringBuilder(String.format("%" + w + "s", "t\\p"));
        labels.forEach(l -> sb.append(String.format(" %" + w + "s", l)));
        sb.append('\n');
        for (int t = 0; t < counts.length; t++) {
            sb.append(String.format("%" + w + "s", labels.get(t)));
            for (long c : counts[t]) {
                sb.append(String.format(" %" + w + "d", c));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
