package dev.transferkit.probe;

import dev.transferkit.extract.FeatureTarget;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a {@link LayerProbe}: one row per candidate layer and pooling, and the winner.
 *
 * @param rows           the candidates in the order they were given
 * @param winner         the row with the best cross-validated balanced accuracy (ties: accuracy, then fewer dimensions),
 *                       never a row that repeats an earlier candidate's features
 * @param folds          the number of cross-validation folds
 * @param extractSeconds the time of the one extraction pass that wrote every candidate's store
 */
public record ProbeResult(List<ProbeRow> rows, ProbeRow winner, int folds, double extractSeconds) {
    /** Copies the rows. */
    public ProbeResult {
        rows = List.copyOf(rows);
    }

    /**
     * Returns the chosen features.
     *
     * @return the winner's layer and pooling
     */
    public FeatureTarget choice() {
        return winner.target();
    }

    /**
     * Formats the result as a Markdown table, the winner marked with an asterisk.
     *
     * @return the table and a line naming the winner
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| layer | pooling | depth | dim | accuracy (%d-fold) | balanced accuracy | C | CV s | MB |%n", folds));
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (ProbeRow r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s%s%s | %s | %d | %d | %.3f ± %.3f | %.3f ± %.3f | %g | %.1f | %.1f |%n",
                    r.target().layer(), r == winner ? " *" : "", r.sameAs() == null ? "" : " (= " + r.sameAs() + ")",
                    r.target().pooling(), r.depth(), r.dim(), r.accuracy(),
                    r.accuracySpread(), r.balancedAccuracy(), r.balancedSpread(), r.c(), r.seconds(), r.bytesOnDisk() / 1e6));
        }
        sb.append(String.format(Locale.ROOT, "Chosen: %s with %s pooling, C=%g (balanced accuracy %.3f); extraction of all"
                        + " candidates in one pass took %.1f s.%n", winner.target().layer(), winner.target().pooling(), winner.c(),
                winner.balancedAccuracy(), extractSeconds));
        return sb.toString();
    }

    /**
     * Summarises the probe for a predictor's provenance: the winner and each candidate's scores.
     *
     * @return string keys and values, prefixed {@code probe.}
     */
    public Map<String, String> toProvenance() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("probe.choice", winner.target().toString());
        m.put("probe.C", Double.toString(winner.c()));
        m.put("probe.folds", Integer.toString(folds));
        for (ProbeRow r : rows) {
            m.put("probe." + r.target(), r.sameAs() != null ? "same features as " + r.sameAs()
                    : String.format(Locale.ROOT, "accuracy %.4f±%.4f, balanced %.4f±%.4f, C=%g, dim %d",
                    r.accuracy(), r.accuracySpread(), r.balancedAccuracy(), r.balancedSpread(), r.c(), r.dim()));
        }
        return m;
    }
}
