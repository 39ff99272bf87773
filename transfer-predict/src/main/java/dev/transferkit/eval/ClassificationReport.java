package dev.transferkit.eval;

import dev.transferkit.core.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A classification report in the layout of scikit-learn's {@code classification_report}: per-class precision,
 * recall, F1 and support; accuracy; macro and support-weighted averages; plus balanced accuracy (the mean of the
 * per-class recalls) and the confusion matrix. A class never predicted has precision 0, and a class with no
 * examples has recall 0 (scikit-learn's {@code zero_division=0}).
 */
public final class ClassificationReport {
    private final ConfusionMatrix matrix;
    private final double[] precision;
    private final double[] recall;
    private final double[] f1;

    private ClassificationReport(ConfusionMatrix matrix) {
        this.matrix = matrix;
        int k = matrix.labels().size();
        precision = new double[k];
        recall = new double[k];
        f1 = new double[k];
        for (int c = 0; c < k; c++) {
            long tp = matrix.count(c, c);
            long predicted = matrix.predictedCount(c);
            long support = matrix.support(c);
            precision[c] = predicted == 0 ? 0 : (double) tp / predicted;
            recall[c] = support == 0 ? 0 : (double) tp / support;
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }
    }

    /**
     * Computes the report.
     *
     * @param labels    class names, by index
     * @param truth     true class index per example
     * @param predicted predicted class index per example
     * @return the report
     * @throws IllegalArgumentException when there are no examples or the arrays do not pair up
     */
    public static ClassificationReport of(List<String> labels, int[] truth, int[] predicted) {
        if (truth.length == 0) {
            throw new IllegalArgumentException("A classification report needs at least one example, but got none.");
        }
        return new ClassificationReport(ConfusionMatrix.of(labels, truth, predicted));
    }

    /** @return the confusion matrix */
    public ConfusionMatrix confusionMatrix() {
        return matrix;
    }

    /** @return the class names */
    public List<String> labels() {
        return matrix.labels();
    }

    /** @param c class index @return precision of class {@code c} */
    public double precision(int c) {
        return precision[c];
    }

    /** @param c class index @return recall of class {@code c} */
    public double recall(int c) {
        return recall[c];
    }

    /** @param c class index @return F1 score of class {@code c} */
    public double f1(int c) {
        return f1[c];
    }

    /** @param c class index @return number of examples of class {@code c} */
    public long support(int c) {
        return matrix.support(c);
    }

    /** @return the fraction of correct predictions */
    public double accuracy() {
        return (double) matrix.correct() / matrix.total();
    }

    /** @return the mean recall over classes that have examples */
    public double balancedAccuracy() {
        double s = 0;
        int n = 0;
        for (int c = 0; c < recall.length; c++) {
            if (matrix.support(c) > 0) {
                s += recall[c];
                n++;
            }
        }
        return s / n;
    }

    /** @return unweighted mean of per-class precision, recall and F1, in that order */
    public double[] macroAverage() {
        return new double[]{mean(precision, null), mean(recall, null), mean(f1, null)};
    }

    /** @return support-weighted mean of per-class precision, recall and F1, in that order */
    public double[] weightedAverage() {
        return new double[]{mean(precision, matrix), mean(recall, matrix), mean(f1, matrix)};
    }

    private static double mean(double[] v, ConfusionMatrix weights) {
        double s = 0;
        double w = 0;
        for (int c = 0; c < v.length; c++) {
            double wc = weights == null ? 1 : weights.support(c);
            s += wc * v[c];
            w += wc;
        }
        return w == 0 ? 0 : s / w;
    }

    /** @return the report as CSV: one row per class, then accuracy, macro avg, weighted avg and balanced accuracy */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("class,precision,recall,f1,support\n");
        for (int c = 0; c < precision.length; c++) {
            sb.append(Csv.quote(labels().get(c))).append(',').append(fmt(precision[c])).append(',').append(fmt(recall[c]))
                    .append(',').append(fmt(f1[c])).append(',').append(support(c)).append('\n');
        }
        long n = matrix.total();
        double[] macro = macroAverage();
        double[] weighted = weightedAverage();
        sb.append("accuracy,,,").append(fmt(accuracy())).append(',').append(n).append('\n');
        sb.append("macro avg,").append(fmt(macro[0])).append(',').append(fmt(macro[1])).append(',').append(fmt(macro[2]))
                .append(',').append(n).append('\n');
        sb.append("weighted avg,").append(fmt(weighted[0])).append(',').append(fmt(weighted[1])).append(',')
                .append(fmt(weighted[2])).append(',').append(n).append('\n');
        sb.append("balanced accuracy,,,").append(fmt(balancedAccuracy())).append(',').append(n).append('\n');
        return sb.toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    /**
     * Saves the report: {@code <prefix>report.txt} (this text and the confusion matrix), {@code <prefix>report.csv},
     * {@code <prefix>confusion.csv} and {@code <prefix>confusion.png}.
     *
     * @param dir    the directory to write into (created if needed)
     * @param prefix a file-name prefix, e.g. {@code "test-"}; may be empty
     * @throws IOException when a file cannot be written
     */
    public void save(Path dir, String prefix) throws IOException {
        String text = this + "\nConfusion matrix (rows: true class, columns: predicted class)\n" + matrix;
        AtomicFiles.write(dir.resolve(prefix + "report.txt"), out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(dir.resolve(prefix + "report.csv"), out -> out.write(toCsv().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(dir.resolve(prefix + "confusion.csv"), out -> out.write(matrix.toCsv().getBytes(StandardCharsets.UTF_8)));
        ConfusionMatrixPlot.savePng(matrix, dir.resolve(prefix + "confusion.png"));
    }

    @Override
    public String toString() {
        int w = Math.max(12, labels().stream().mapToInt(String::length).max().orElse(0));
        String row = "%" + w + "s %9.2f %9.2f %9.2f %9d%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%" + w + "s %9s %9s %9s %9s%n%n", "", "precision", "recall", "f1-score", "support"));
        for (int c = 0; c < precision.length; c++) {
            sb.append(String.format(Locale.ROOT, row, labels().get(c), precision[c], recall[c], f1[c], support(c)));
        }
        long n = matrix.total();
        double[] macro = macroAverage();
        double[] weighted = weightedAverage();
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "%" + w + "s %9s %9s %9.2f %9d%n", "accuracy", "", "", accuracy(), n));
        sb.append(String.format(Locale.ROOT, row, "macro avg", macro[0], macro[1], macro[2], n));
        sb.append(String.format(Locale.ROOT, row, "weighted avg", weighted[0], weighted[1], weighted[2], n));
        sb.append(String.format(Locale.ROOT, "%" + w + "s %9s %9s %9.4f %9d%n", "balanced acc", "", "", balancedAccuracy(), n));
        return sb.toString();
    }
}
