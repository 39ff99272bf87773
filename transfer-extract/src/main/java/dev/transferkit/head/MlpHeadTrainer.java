package dev.transferkit.head;

import dev.transferkit.core.Checks;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains an {@link MlpHead} epoch by epoch from data-set iterators, so the features never have to fit in memory
 * (pass a feature store's iterator). Dense ReLU layers with dropout, a softmax output, Adam, L2; early stopping on
 * validation loss restores the best epoch's weights.
 */
public final class MlpHeadTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(MlpHeadTrainer.class);

    private final int[] hidden;
    private final double dropout;
    private final double learningRate;
    private final double l2;
    private final int maxEpochs;
    private final int patience;
    private final ClassWeights classWeights;
    private final long seed;
    private final Consumer<EpochResult> listener;

    private MlpHeadTrainer(Builder b) {
        this.hidden = b.hidden;
        this.dropout = b.dropout;
        this.learningRate = b.learningRate;
        this.l2 = b.l2;
        this.maxEpochs = b.maxEpochs;
        this.patience = b.patience;
        this.classWeights = b.classWeights;
        this.seed = b.seed;
        this.listener = b.listener;
    }

    /** @return a builder with the large-dataset recipe's defaults (hidden 256 and 16) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains a head.
     *
     * @param train      training batches, one-hot labels; reset at every epoch
     * @param validation validation batches for early stopping, or {@code null} to train {@code maxEpochs} epochs
     * @param labels     class names, in label-column order
     * @param inputDim   feature dimension
     * @param classCounts examples per class in the training data, used by balanced class weights; may be null for uniform weights
     * @return the head with the weights of the best validation epoch
     * @throws IllegalArgumentException when a batch does not match {@code inputDim} or {@code labels}
     */
    public MlpHead fit(DataSetIterator train, DataSetIterator validation, List<String> labels, int inputDim, long[] classCounts) {
        Objects.requireNonNull(train, "train");
        if (labels.size() < 2) {
            throw new IllegalArgumentException("A classifier needs at least two classes, but got " + labels + ".");
        }
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(inputDim, labels, classCounts));
        net.init();
        List<EpochResult> history = new ArrayList<>();
        INDArray best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int sinceBest = 0;
        for (int epoch = 1; epoch <= maxEpochs; epoch++) {
            long t0 = System.nanoTime();
            train.reset();
            double lossSum = 0;
            long n = 0;
            while (train.hasNext()) {
                DataSet ds = train.next();
                check(ds, inputDim, labels.size());
                net.fit(ds);
                lossSum += net.score() * ds.numExamples();
                n += ds.numExamples();
            }
            if (n == 0) {
                throw new IllegalArgumentException("The training iterator produced no examples.");
            }
            double[] val = validation == null ? new double[]{Double.NaN, Double.NaN} : evaluate(net, validation, inputDim, labels.size());
            EpochResult r = new EpochResult(epoch, lossSum / n, val[0], val[1], (System.nanoTime() - t0) / 1e9);
            history.add(r);
            LOG.info("{}", r);
            if (listener != null) {
                listener.accept(r);
            }
            if (validation == null) {
                continue;
            }
            if (val[0] < bestLoss - 1e-6) {
                bestLoss = val[0];
                best = net.params().dup();
                sinceBest = 0;
            } else if (++sinceBest >= patience) {
                LOG.info("Validation loss has not improved for {} epochs: stopping after epoch {}.", patience, epoch);
                break;
            }
        }
        if (best != null) {
            net.setParams(best);
        }
        return new MlpHead(net, labels, inputDim, history);
    }

    private static double[] evaluate(MultiLayerNetwork net, DataSetIterator it, int inputDim, int k) {
        it.reset();
        double loss = 0;
        long n = 0;
        long correct = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            check(ds, inputDim, k);
            loss += net.score(ds, false) * ds.numExamples();
            INDArray predicted = net.output(ds.getFeatures(), false).argMax(1);
            INDArray truth = ds.getLabels().argMax(1);
            correct += predicted.eq(truth).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
            n += ds.numExamples();
        }
        if (n == 0) {
            throw new IllegalArgumentException("The validation iterator produced no examples.");
        }
        return new double[]{loss / n, (double) correct / n};
    }

    private static void check(DataSet ds, int inputDim, int k) {
        if (ds.getFeatures().columns() != inputDim || ds.getLabels().columns() != k) {
            throw new IllegalArgumentException("A batch has " + ds.getFeatures().columns() + " features and " + ds.getLabels().columns()
                    + " label columns, but the head was set up for " + inputDim + " features and " + k + " classes.");
        }
    }

    private MultiLayerConfiguration configuration(int inputDim, List<String> labels, long[] classCounts) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(learningRate))
                .l2(l2)
                .weightInit(WeightInit.RELU)
                .list();
        int in = inputDim;
        for (int h : hidden) {
            DenseLayer.Builder layer = new DenseLayer.Builder().nIn(in).nOut(h).activation(Activation.RELU);
            if (dropout > 0) {
                layer.dropOut(1.0 - dropout); // DL4J takes the probability of keeping an activation
            }
            b.layer(layer.build());
            in = h;
        }
        double[] w = classWeights.resolve(labels, expand(classCounts, labels.size()));
        b.layer(new OutputLayer.Builder(new LossMCXENT(Nd4j.create(w)))
                .nIn(in).nOut(labels.size()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build());
        return b.build();
    }

    /** Turns class counts into a label vector with those counts, which is all {@link ClassWeights#resolve} needs. */
    private static int[] expand(long[] counts, int k) {
        if (counts == null) {
            return new int[0];
        }
        if (counts.length != k) {
            throw new IllegalArgumentException("There are " + counts.length + " class counts for " + k + " classes.");
        }
        int[] y = new int[(int) Arrays.stream(counts).sum()];
        int i = 0;
        for (int c = 0; c < k; c++) {
            for (long j = 0; j < counts[c]; j++) {
                y[i++] = c;
            }
        }
        return y;
    }

    @Override
    public String toString() {
        return "MlpHeadTrainer(hidden=" + Arrays.toString(hidden) + ", dropout=" + dropout + ", adam lr=" + learningRate + ", l2=" + l2
                + ", maxEpochs=" + maxEpochs + ", patience=" + patience + ", classWeights=" + classWeights + ", seed=" + seed + ")";
    }

    /** Builder for {@link MlpHeadTrainer}. */
    public static final class Builder {
        private int[] hidden = {256, 16};
        private double dropout = 0.5;
        private double learningRate = 1e-3;
        private double l2 = 1e-4;
        private int maxEpochs = 30;
        private int patience = 3;
        private ClassWeights classWeights = ClassWeights.uniform();
        private long seed = 42;
        private Consumer<EpochResult> listener;

        private Builder() {
        }

        /** @param sizes hidden layer widths (default 256, 16); none for softmax regression @return this builder */
        public Builder optHiddenLayers(int... sizes) {
            for (int s : sizes) {
                if (s < 1) {
                    throw new IllegalArgumentException("Hidden layer sizes must be positive, but got " + Arrays.toString(sizes) + ".");
                }
            }
            this.hidden = sizes.clone();
            return this;
        }

        /** @param dropout probability of dropping a hidden activation in training, in [0, 1) (default 0.5) @return this builder */
        public Builder optDropout(double dropout) {
            this.dropout = Checks.inRange("Dropout", dropout, 0, 1);
            return this;
        }

        /** @param learningRate Adam's learning rate (default 1e-3) @return this builder */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = Checks.positive("The learning rate", learningRate);
            return this;
        }

        /** @param l2 L2 weight penalty (default 1e-4) @return this builder */
        public Builder optL2(double l2) {
            this.l2 = Checks.zeroOrPositive("The L2 penalty", l2);
            return this;
        }

        /**
         * @param maxEpochs most epochs to train (default 30)
         * @param patience  epochs without validation improvement before stopping (default 3)
         * @return this builder
         */
        public Builder optEpochs(int maxEpochs, int patience) {
            if (maxEpochs < 1 || patience < 1) {
                throw new IllegalArgumentException("Epochs and patience must be at least 1, but were " + maxEpochs + " and " + patience + ".");
            }
            this.maxEpochs = maxEpochs;
            this.patience = patience;
            return this;
        }

        /** @param classWeights weights for imbalanced classes (default uniform) @return this builder */
        public Builder optClassWeights(ClassWeights classWeights) {
            this.classWeights = Objects.requireNonNull(classWeights, "classWeights");
            return this;
        }

        /** @param seed weight-initialisation and dropout seed (default 42) @return this builder */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @param listener called after every epoch, e.g. to print progress @return this builder */
        public Builder optListener(Consumer<EpochResult> listener) {
            this.listener = listener;
            return this;
        }

        /** @return the trainer */
        public MlpHeadTrainer build() {
            return new MlpHeadTrainer(this);
        }
    }
}
