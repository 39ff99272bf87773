package dev.transferkit.finetune;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Trains one network for the epochs of one phase, scoring each epoch and stopping early when asked.
 *
 * <p>Every epoch draws its shuffling, augmentation and dropout from a generator seeded by (seed, phase, epoch) alone,
 * so an epoch gives the same result whether the run got there without a break or resumed from a checkpoint.
 */
final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private final int phase;
    private final ComputationGraph network;
    private final int patience;
    private final int batchSize;
    private final long seed;
    private final FineTuneListener listener;
    private TailTrainer trainer;

    TrainingLoop(int phase, ComputationGraph network, int patience, int batchSize, long seed, FineTuneListener listener) {
        this.phase = phase;
        this.network = network;
        this.patience = patience;
        this.batchSize = batchSize;
        this.seed = seed;
        this.listener = listener;
    }

    /**
     * Runs the epochs left in {@code progress} (updating it) and calls {@code afterEpoch} after each one.
     */
    void run(PhaseProgress progress, int epochs, ImageSet train, ImageSet validation, FeatureSource source,
             Consumer<EpochStats> afterEpoch) {
        try {
            epochs(progress, epochs, train, validation, source, afterEpoch);
        } finally {
            if (trainer != null) { // its native sessions and buffers are released with the phase
                trainer.close();
                trainer = null;
            }
        }
    }

    private void epochs(PhaseProgress progress, int epochs, ImageSet train, ImageSet validation, FeatureSource source,
                        Consumer<EpochStats> afterEpoch) {
        while (!progress.finished(epochs)) {
            int epoch = progress.epochsDone + 1;
            long t0 = System.nanoTime();
            long epochSeed = epochSeed(seed, phase, epoch);
            Random random = new Random(epochSeed);
            Nd4j.getRandom().setSeed(epochSeed); // dropout masks
            int[] order = IntStream.range(0, train.size()).toArray();
            shuffle(order, random);
            double lossSum = 0;
            long correct = 0;
            int batches = (order.length + batchSize - 1) / batchSize;
            for (int b = 0; b < batches; b++) {
                int[] idx = Arrays.copyOfRange(order, b * batchSize, Math.min(order.length, (b + 1) * batchSize));
                INDArray[] x = source.train(idx, random);
                INDArray y = train.labels(idx);
                TailTrainer.Result r = trainer(x).fit(x, y);
                correct += correct(r.probabilities(), y);
                lossSum += r.score() * idx.length;
                listener.onBatchEnd(phase, epoch, b + 1, batches);
            }
            double valLoss = Double.NaN;
            double valAcc = Double.NaN;
            if (validation != null) {
                double sum = 0;
                long ok = 0;
                for (int start = 0; start < validation.size(); start += batchSize) {
                    int[] idx = IntStream.range(start, Math.min(validation.size(), start + batchSize)).toArray();
                    INDArray[] x = source.validation(idx);
                    INDArray y = validation.labels(idx);
                    TailTrainer.Result r = trainer(x).evaluate(x, y);
                    sum += r.score() * idx.length;
                    ok += correct(r.probabilities(), y);
                }
                valLoss = sum / validation.size();
                valAcc = (double) ok / validation.size();
            }
            EpochStats stats = new EpochStats(phase, epoch, lossSum / order.length, (double) correct / order.length,
                    valLoss, valAcc, (System.nanoTime() - t0) / 1e9);
            LOG.info("{}", stats);
            progress.epochsDone = epoch;
            if (validation != null) { // the best epoch is kept whenever there is validation data
                if (valLoss < progress.bestLoss) {
                    progress.bestLoss = valLoss;
                    progress.bestParams = network.params().dup();
                    progress.sinceBest = 0;
                } else if (++progress.sinceBest >= patience && patience > 0) {
                    LOG.info("Phase {}: validation loss did not improve for {} epochs; stopping after epoch {}.", phase, patience, epoch);
                    progress.stopped = true;
                }
            }
            afterEpoch.accept(stats);
        }
    }

    /** @return the trainer, chosen on the first batch it sees (the ONNX Runtime form is checked on that batch) */
    private TailTrainer trainer(INDArray[] firstBatch) {
        if (trainer == null) {
            trainer = TailTrainer.of(network, firstBatch);
        }
        return trainer;
    }

    /** Sets the network to the parameters of its best epoch on validation, when there was validation data. */
    void restoreBest(PhaseProgress progress) {
        if (progress.bestParams != null) {
            network.setParams(progress.bestParams);
        }
    }

    /** @return the seed of one epoch's randomness, a function of the run seed, the phase and the epoch only */
    static long epochSeed(long seed, int phase, int epoch) {
        return new SplittableRandom(seed ^ ((long) phase << 40) ^ ((long) epoch * 0x9E3779B97F4A7C15L)).nextLong();
    }

    private static long correct(INDArray probabilities, INDArray y) {
        INDArray p = probabilities.argMax(1);
        INDArray t = y.argMax(1);
        long n = 0;
        for (int i = 0; i < p.length(); i++) {
            if (p.getLong(i) == t.getLong(i)) {
                n++;
            }
        }
        return n;
    }

    private static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
