package dev.transferkit.finetune;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Trains one network for the epochs of one phase, scoring each epoch and stopping early when asked. */
final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private final int phase;
    private final ComputationGraph network;
    private final int patience;

    TrainingLoop(int phase, ComputationGraph network, int patience) {
        this.phase = phase;
        this.network = network;
        this.patience = patience;
    }

    List<EpochStats> run(int epochs, int batchSize, Random random, ImageSet train, ImageSet validation, FeatureSource source) {
        List<EpochStats> out = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        INDArray bestParams = null;
        int sinceBest = 0;
        int[] order = FeatureSource.range(train.size());
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long t0 = System.nanoTime();
            shuffle(order, random);
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < order.length; start += batchSize) {
                int[] idx = Arrays.copyOfRange(order, start, Math.min(order.length, start + batchSize));
                INDArray x = source.train(idx, random);
                INDArray y = train.labels(idx);
                correct += correct(network.outputSingle(false, x), y);
                network.fit(new DataSet(x, y));
                lossSum += network.score() * idx.length;
            }
            double valLoss = Double.NaN;
            double valAcc = Double.NaN;
            if (validation != null) {
                double sum = 0;
                long ok = 0;
                for (int start = 0; start < validation.size(); start += batchSize) {
                    int[] idx = java.util.stream.IntStream.range(start, Math.min(validation.size(), start + batchSize)).toArray();
                    INDArray x = source.validation(idx);
                    INDArray y = validation.labels(idx);
                    sum += network.score(new DataSet(x, y), false) * idx.length;
                    ok += correct(network.outputSingle(false, x), y);
                }
                valLoss = sum / validation.size();
                valAcc = (double) ok / validation.size();
            }
            EpochStats stats = new EpochStats(phase, epoch, lossSum / order.length, (double) correct / order.length,
                    valLoss, valAcc, (System.nanoTime() - t0) / 1e9);
            out.add(stats);
            LOG.info("{}", stats);
            if (patience > 0) {
                if (valLoss < best) {
                    best = valLoss;
                    bestParams = network.params().dup();
                    sinceBest = 0;
                } else if (++sinceBest >= patience) {
                    LOG.info("Phase {}: validation loss did not improve for {} epochs; stopping after epoch {}.", phase, patience, epoch);
                    break;
                }
            }
        }
        if (bestParams != null) {
            network.setParams(bestParams);
        }
        return out;
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
