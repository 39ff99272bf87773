package dev.transferkit.head;

import java.util.List;
import java.util.Locale;

/**
 * k-fold cross-validation of a grid of C: one path per fold (run in parallel by the solver), the held-out predictions
 * of all folds pooled and scored by accuracy or balanced accuracy (the mean recall of the classes). The smallest C with
 * the best score wins. Without a patience the whole grid is fitted in one pass per fold; with one, the paths grow a C at
 * a time and stop once the score has not improved for that many C values in a row, so the larger C values, the
 * slowest to fit, are never tried.
 */
final class CrossValidation {
    /**
     * The outcome.
     *
     * @param best   the position of the chosen C in the grid
     * @param scores "C=...:score" for every C, space-separated
     * @param paths  the folds' paths, for warm-starting the final fit
     * @param <P>    the solver's paths
     */
    record Outcome<P>(int best, String scores, List<P> paths, CrossValidationReport report) {
    }

    private CrossValidation() {
    }

    /**
     * @param solver   the solver
     * @param folds    the split
     * @param cs       the grid, ascending
     * @param y        the class of every row
     * @param classes  the number of classes
     * @param balanced score by balanced accuracy rather than accuracy
     * @param patience stop after this many C values in a row without a better score; at least the grid's length to
     *                 try every C
     * @param <P>      the solver's paths
     * @return the chosen C and the scores of the C values tried
     */
    static <P extends LinearSolver.FoldPath> Outcome<P> run(LinearSolver<P> solver, Folds folds, double[] cs, int[] y,
                                                           int classes, boolean balanced, int patience) {
        List<P> paths = List.of();
        StringBuilder scores = new StringBuilder();
        int best = 0;
        double bestScore = -1;
        int worse = 0;
        List<CrossValidationReport.Score> report = new java.util.ArrayList<>();
        // Without a patience the whole grid is fitted in one call (each fold's rows prepared once); with one, a C at a time.
        int step = patience >= cs.length ? cs.length : 1;
        int fitted = 0;
        for (int ci = 0; ci < cs.length && worse < patience; ci++) {
            if (ci == fitted) {
                fitted = Math.min(cs.length, ci + step);
                paths = solver.extend(folds, paths, java.util.Arrays.copyOfRange(cs, ci, fitted));
            }
            long[] correct = new long[classes];
            long[] support = new long[classes];
            double[] foldAccuracy = new double[folds.count()];
            double[] foldBalanced = new double[folds.count()];
            for (int f = 0; f < folds.count(); f++) {
                long[] foldCorrect = new long[classes];
                long[] foldSupport = new long[classes];
                int[] rows = folds.heldOut(f);
                int[] predicted = paths.get(f).predictions(ci);
                for (int i = 0; i < rows.length; i++) {
                    foldSupport[y[rows[i]]]++;
                    if (predicted[i] == y[rows[i]]) {
                        foldCorrect[y[rows[i]]]++;
                    }
                }
                foldAccuracy[f] = accuracy(foldCorrect, foldSupport);
                foldBalanced[f] = balancedAccuracy(foldCorrect, foldSupport);
                for (int k = 0; k < classes; k++) {
                    correct[k] += foldCorrect[k];
                    support[k] += foldSupport[k];
                }
            }
            double score = balanced ? balancedAccuracy(correct, support) : accuracy(correct, support);
            report.add(new CrossValidationReport.Score(cs[ci], mean(foldAccuracy), spread(foldAccuracy), mean(foldBalanced),
                    spread(foldBalanced), score));
            scores.append(String.format(Locale.ROOT, "%sC=%g:%.4f", scores.length() == 0 ? "" : " ", cs[ci], score));
            if (score > bestScore + 1e-12) {
                bestScore = score;
                best = ci;
                worse = 0;
            } else {
                worse++;
            }
        }
        if (report.size() < cs.length) {
            scores.append(String.format(Locale.ROOT, " (C>%g not tried: no better score for %d value(s) in a row)",
                    cs[report.size() - 1], patience));
        }
        return new Outcome<>(best, scores.toString(), paths, new CrossValidationReport(report, best, folds.count()));
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** The population standard deviation over the folds. */
    private static double spread(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }

    private static double accuracy(long[] correct, long[] support) {
        long c = 0;
        long n = 0;
        for (int k = 0; k < correct.length; k++) {
            c += correct[k];
            n += support[k];
        }
        return (double) c / n;
    }

    private static double balancedAccuracy(long[] correct, long[] support) {
        double sum = 0;
        int present = 0;
        for (int k = 0; k < correct.length; k++) {
            if (support[k] > 0) {
                sum += (double) correct[k] / support[k];
                present++;
            }
        }
        return sum / present;
    }
}
