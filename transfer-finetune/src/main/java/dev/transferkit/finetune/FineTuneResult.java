package dev.transferkit.finetune;

import dev.transferkit.predict.TransferModel;

/**
 * What a fine-tuning run produced.
 *
 * @param model         the fine-tuned network as a saved-predictor-ready {@link TransferModel}; its provenance records
 *                      the frozen layers, learning rates and epochs of each phase
 * @param history       the per-epoch scores of both phases
 * @param phase1Seconds wall-clock time of phase 1, feature caching included; for a resumed run, the time of the
 *                      interrupted attempts (as far as their last checkpoint) is included
 * @param phase2Seconds wall-clock time of phase 2 (0 when skipped), counted the same way
 */
public record FineTuneResult(TransferModel model, TrainingHistory history, double phase1Seconds, double phase2Seconds) {
    @Override
    public String toString() {
        return "FineTuneResult(" + history + ", phase 1 " + String.format(java.util.Locale.ROOT, "%.1f", phase1Seconds)
                + "s, phase 2 " + String.format(java.util.Locale.ROOT, "%.1f", phase2Seconds) + "s)";
    }
}
