package dev.transferkit.finetune;

import org.nd4j.linalg.api.ndarray.INDArray;

/** How far one training phase got: epochs done and the early-stopping state. Mutable; owned by one run. */
final class PhaseProgress {
    int epochsDone;
    boolean stopped;
    int sinceBest;
    double bestLoss = Double.POSITIVE_INFINITY;
    /** The trained network's parameters at the epoch with the lowest validation loss (early stopping only). */
    INDArray bestParams;

    /** @return true when the phase ran all its epochs or stopped early */
    boolean finished(int epochs) {
        return stopped || epochsDone >= epochs;
    }

    @Override
    public String toString() {
        return "PhaseProgress(" + epochsDone + " epochs" + (stopped ? ", stopped" : "") + ", best " + bestLoss + ")";
    }
}
