package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * Fine-tunes a pretrained network on an {@link ImageFolder} in two phases, as in the Keras transfer-learning guide:
 * <ol>
 *   <li>Phase 1: the network is cut after {@link Builder#optCutLayer(String) the cut layer}, a new head
 *   (global average pooling, dense layers with dropout, softmax output) is added, and only the head is trained with
 *   Adam while the base stays frozen. Without augmentation the base runs once: its activations are cached and the
 *   head trains on them.</li>
 *   <li>Phase 2 (optional): the layers from {@link Builder#optPhase2 unfreezeFrom} up to the cut layer are unfrozen
 *   and the whole trainable part is trained with a much lower learning rate. Batch-normalisation layers of the
 *   pretrained part stay in inference mode by default ({@link Builder#optBatchNormFrozen(boolean)}).</li>
 * </ol>
 * The base model itself is never modified. Instances are immutable and reusable.
 */
public final class FineTuner {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuner.class);
    static final String POOL = "ft_pool";
    static final String DENSE = "ft_dense_";
    static final String OUTPUT = "ft_output";
    private static final String FEATURES = "ft_features";

    /** The updater of phase 2. */
    public enum Phase2Updater {
        /** Adam with the phase-2 learning rate. */
        ADAM,
        /** SGD with Nesterov momentum 0.9. */
        SGD_MOMENTUM
    }

    private final BaseModel base;
    private final String cutLayer;
    private final int[] denseSizes;
    private final double dropout;
    private final String trainableFrom;
    private final int phase1Epochs;
    private final double phase1LearningRate;
    private final int phase2Epochs;
    private final String unfreezeFrom;
    private final double phase2LearningRate;
    private final Phase2Updater phase2Updater;
    private final int batchSize;
    private final long seed;
    private final Augmentation augmentation;
    private final ClassWeights classWeights;
    private final int patience;
    private final Path outputDir;
    private final boolean batchNormFrozen;

    private FineTuner(Builder b) {
        this.base = b.base;
        this.cutLayer = b.cutLayer;
        this.denseSizes = b.denseSizes.clone();
        this.dropout = b.dropout;
        this.trainableFrom = b.trainableFrom;
        this.phase1Epochs = b.phase1Epochs;
        this.phase1LearningRate = b.phase1LearningRate;
        this.phase2Epochs = b.phase2Epochs;
        this.unfreezeFrom = b.unfreezeFrom;
        this.phase2LearningRate = b.phase2LearningRate;
        this.phase2Updater = b.phase2Updater;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.augmentation = b.augmentation;
        this.classWeights = b.classWeights;
        this.patience = b.patience;
        this.outputDir = b.outputDir;
        this.batchNormFrozen = b.batchNormFrozen;
    }

    /** @return a builder; {@code setBaseModel} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the layer after which the original head is replaced */
    public String cutLayer() {
        return cutLayer;
    }

    /**
     * One-call fine-tuning with the {@code train} split and, when present, the {@code validation} (else {@code val},
     * else none) split: phase 1 for {@code epochs} epochs, phase 2 as configured.
     *
     * @param data   the dataset
     * @param epochs phase-1 epochs, at least 1
     * @return the result
     */
    public FineTuneResult fineTune(ImageFolder data, int epochs) {
        String validation = data.splits().contains("validation") ? "validation" : data.splits().contains("val") ? "val" : null;
        return toBuilder().optPhase1(epochs, phase1LearningRate).build().fit(data, ImageFolder.TRAIN, validation);
    }

    /**
     * Fine-tunes on one split and validates on another.
     *
     * @param data            the dataset
     * @param trainSplit      the training split
     * @param validationSplit the validation split, or {@code null} for none (then early stopping is not allowed)
     * @return the fine-tuned predictor, history and timings
     * @throws TransferKitException when a split is missing or empty, or early stopping has no validation data
     */
    public FineTuneResult fit(ImageFolder data, String trainSplit, String validationSplit) {
        Objects.requireNonNull(data, "data");
        LabelEncoder encoder = data.labelEncoder();
        List<String> labels = encoder.toList();
        if (labels.size() < 2) {
            throw new TransferKitException("The dataset " + data.root() + " has " + labels.size()
                    + " class; fine-tuning needs at least 2.");
        }
        if (validationSplit == null && patience > 0) {
            throw new TransferKitException("Early stopping (patience " + patience + ") needs a validation split, but none was given.");
        }
        ImagePipeline pipeline = base.pipeline(ImageOptions.defaults());
        ImageSet train = ImageSet.decode(data.images(trainSplit), encoder, pipeline, data.root() + "/" + trainSplit);
        ImageSet validation = validationSplit == null ? null
                : ImageSet.decode(data.images(validationSplit), encoder, pipeline, data.root() + "/" + validationSplit);
        double[] weights = classWeights.resolve(labels, train.labels());
        Random random = new Random(seed);
        Nd4j.getRandom().setSeed(seed);
        List<EpochStats> history = new ArrayList<>();

        // Phase 1: train the new head on the cut layer's activations.
        long t0 = System.nanoTime();
        GraphSurgery surgery = new GraphSurgery(base.graph());
        Set<String> cutAncestors = surgery.ancestors(cutLayer);
        ComputationGraph trunk = surgery.trunk(cutLayer);
        INDArray probe = trunk.outputSingle(false, train.batch(new int[]{0}, null, null));
        long[] shape = probe.shape();
        List<GraphSurgery.HeadLayer> head = headLayers(shape, labels.size(), weights);
        ComputationGraph headNet = headNetwork(head);
        Set<String> frozen1 = phase1Frozen(surgery, cutAncestors);
        ComputationGraph network;
        if (trainableFrom == null) {
            FeatureSource features = FeatureSource.cached(trunk, train, validation, augmentation, batchSize);
            history.addAll(new TrainingLoop(1, headNet, patience).run(phase1Epochs, batchSize, random, train, validation, features));
            network = surgery.reheaded(cutLayer, frozen1, tuning(new Adam(phase1LearningRate)), head);
            copyHead(headNet, network, head);
        } else {
            network = surgery.reheaded(cutLayer, frozen1, tuning(new Adam(phase1LearningRate)), head);
            history.addAll(new TrainingLoop(1, network, patience).run(phase1Epochs, batchSize, random, train, validation,
                    FeatureSource.images(train, validation, augmentation, batchSize)));
        }
        double phase1Seconds = (System.nanoTime() - t0) / 1e9;

        // Phase 2: unfreeze the top of the base with a low learning rate.
        double phase2Seconds = 0;
        Set<String> frozen2 = Set.of();
        Set<String> frozenBn = Set.of();
        if (phase2Epochs > 0) {
            long t1 = System.nanoTime();
            Set<String> unfrozen = new LinkedHashSet<>(surgery.descendants(unfreezeFrom));
            unfrozen.retainAll(cutAncestors);
            Set<String> frozenVertices = new LinkedHashSet<>(cutAncestors);
            frozenVertices.removeAll(unfrozen);
            frozen2 = surgery.layersAmong(frozenVertices);
            frozenBn = batchNormFrozen ? surgery.batchNorms(unfrozen) : Set.of();
            ComputationGraph phase1Network = network;
            network = new GraphSurgery(surgery.reheaded(cutLayer, frozen2, tuning(phase2Updater()), head))
                    .withFrozenBatchNorm(frozenBn);
            copyLayers(phase1Network, network, frozenBn);
            history.addAll(new TrainingLoop(2, network, patience).run(phase2Epochs, batchSize, random, train, validation,
                    FeatureSource.images(train, validation, augmentation, batchSize)));
            phase2Seconds = (System.nanoTime() - t1) / 1e9;
        }

        Map<String, String> provenance = provenance(data, trainSplit, validationSplit, frozen1, frozen2, frozenBn);
        BaseModel tuned = BaseModel.builder().setName(base.name() + "-finetuned").setGraph(network)
                .setInputSpec(base.inputSpec()).setPreprocessing(base.preprocessing())
                .optFeatureLayers(List.of(shape.length == 4 ? POOL : cutLayer)).optLabels(labels)
                .optProvenance(provenance).build();
        TrainingHistory trainingHistory = new TrainingHistory(history);
        if (outputDir != null) {
            trainingHistory.writeCsv(outputDir.resolve("history.csv"));
            trainingHistory.writePng(outputDir.resolve("history.png"));
        }
        return new FineTuneResult(TransferModel.ofNetwork(tuned, provenance), trainingHistory, phase1Seconds, phase2Seconds);
    }

    private Set<String> phase1Frozen(GraphSurgery surgery, Set<String> cutAncestors) {
        if (trainableFrom == null) {
            return surgery.layersAmong(cutAncestors);
        }
        Set<String> frozen = new LinkedHashSet<>(cutAncestors);
        frozen.removeAll(surgery.descendants(trainableFrom));
        return surgery.layersAmong(frozen);
    }

    private IUpdater phase2Updater() {
        return phase2Updater == Phase2Updater.ADAM ? new Adam(phase2LearningRate) : new Nesterovs(phase2LearningRate, 0.9);
    }

    private FineTuneConfiguration tuning(IUpdater updater) {
        return new FineTuneConfiguration.Builder().updater(updater).seed(seed).build();
    }

    private List<GraphSurgery.HeadLayer> headLayers(long[] cutShape, int classes, double[] weights) {
        List<GraphSurgery.HeadLayer> out = new ArrayList<>();
        String input = cutLayer;
        long nIn;
        if (cutShape.length == 4) {
            out.add(new GraphSurgery.HeadLayer(POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), input));
            input = POOL;
            nIn = base.inputSpec().format() == dev.transferkit.image.DataFormat.NHWC ? cutShape[3] : cutShape[1];
        } else if (cutShape.length == 2) {
            nIn = cutShape[1];
        } else {
            throw new TransferKitException("The cut layer '" + cutLayer + "' of '" + base.name() + "' has activations of shape "
                    + Arrays.toString(cutShape) + "; cut at a convolutional (rank 4) or dense (rank 2) layer.");
        }
        for (int i = 0; i < denseSizes.length; i++) {
            DenseLayer.Builder d = new DenseLayer.Builder().nIn(nIn).nOut(denseSizes[i]).activation(Activation.RELU);
            if (i > 0 && dropout > 0) {
                d.dropOut(1 - dropout);
            }
            out.add(new GraphSurgery.HeadLayer(DENSE + i, d.build(), input));
            input = DENSE + i;
            nIn = denseSizes[i];
        }
        OutputLayer.Builder o = new OutputLayer.Builder(new LossMCXENT(Nd4j.createFromArray(weights).castTo(DataType.FLOAT)))
                .nIn(nIn).nOut(classes).activation(Activation.SOFTMAX);
        if (denseSizes.length > 0 && dropout > 0) {
            o.dropOut(1 - dropout); // DL4J's dropOut takes the retain probability and applies to the layer's input
        }
        out.add(new GraphSurgery.HeadLayer(OUTPUT, o.build(), input));
        return out;
    }

    private ComputationGraph headNetwork(List<GraphSurgery.HeadLayer> head) {
        var g = new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(phase1LearningRate)).graphBuilder()
                .addInputs(FEATURES);
        for (GraphSurgery.HeadLayer h : head) {
            g.addLayer(h.name(), h.layer().clone(), h.input().equals(cutLayer) ? FEATURES : h.input());
        }
        ComputationGraph net = new ComputationGraph(g.setOutputs(OUTPUT).build());
        net.init();
        return net;
    }

    private static void copyHead(ComputationGraph from, ComputationGraph to, List<GraphSurgery.HeadLayer> head) {
        for (GraphSurgery.HeadLayer h : head) {
            if (from.getLayer(h.name()).numParams() > 0) {
                to.getLayer(h.name()).setParams(from.getLayer(h.name()).params().dup());
            }
        }
    }

    /** Copies the parameters of every layer of {@code to} but {@code skip} from the same-named layer of {@code from}. */
    private static void copyLayers(ComputationGraph from, ComputationGraph to, Set<String> skip) {
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : to.getVertices()) {
            if (v.hasLayer() && !skip.contains(v.getVertexName()) && v.getLayer().numParams() > 0 && from.getVertex(v.getVertexName()) != null) {
                v.getLayer().setParams(from.getLayer(v.getVertexName()).params().dup());
            }
        }
    }

    private Map<String, String> provenance(ImageFolder data, String trainSplit, String validationSplit,
                                           Set<String> frozen1, Set<String> frozen2, Set<String> frozenBn) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("method", "fine-tuning");
        p.put("base.model", base.name());
        base.provenance().forEach((k, v) -> p.put("base." + k, v));
        p.put("data", data.root().toString());
        p.put("train.split", trainSplit);
        p.put("validation.split", String.valueOf(validationSplit));
        p.put("cut.layer", cutLayer);
        p.put("head.dense", Arrays.toString(denseSizes));
        p.put("head.dropout", Double.toString(dropout));
        p.put("phase1.epochs", Integer.toString(phase1Epochs));
        p.put("phase1.learningRate", Double.toString(phase1LearningRate));
        p.put("phase1.updater", "ADAM");
        p.put("phase1.frozen", String.join(",", frozen1));
        p.put("phase2.epochs", Integer.toString(phase2Epochs));
        if (phase2Epochs > 0) {
            p.put("phase2.unfreezeFrom", unfreezeFrom);
            p.put("phase2.learningRate", Double.toString(phase2LearningRate));
            p.put("phase2.updater", phase2Updater.name());
            p.put("phase2.frozen", String.join(",", frozen2));
            p.put("phase2.batchNormInferenceMode", String.join(",", frozenBn));
        }
        p.put("batchSize", Integer.toString(batchSize));
        p.put("seed", Long.toString(seed));
        p.put("augmentation", augmentation.toString());
        p.put("classWeights", classWeights.toString());
        p.put("earlyStopping.patience", Integer.toString(patience));
        return p;
    }

    private Builder toBuilder() {
        Builder b = new Builder();
        b.base = base;
        b.cutLayer = cutLayer;
        b.denseSizes = denseSizes.clone();
        b.dropout = dropout;
        b.trainableFrom = trainableFrom;
        b.phase1Epochs = phase1Epochs;
        b.phase1LearningRate = phase1LearningRate;
        b.phase2Epochs = phase2Epochs;
        b.unfreezeFrom = unfreezeFrom;
        b.phase2LearningRate = phase2LearningRate;
        b.phase2Updater = phase2Updater;
        b.batchSize = batchSize;
        b.seed = seed;
        b.augmentation = augmentation;
        b.classWeights = classWeights;
        b.patience = patience;
        b.outputDir = outputDir;
        b.batchNormFrozen = batchNormFrozen;
        return b;
    }

    @Override
    public String toString() {
        return "FineTuner(base=" + base.name() + ", cut=" + cutLayer + ", head=" + Arrays.toString(denseSizes)
                + " dropout " + dropout + ", phase1=" + phase1Epochs + " epochs @ " + phase1LearningRate
                + (phase2Epochs > 0 ? ", phase2=" + phase2Epochs + " epochs from '" + unfreezeFrom + "' @ " + phase2LearningRate
                + " " + phase2Updater : ", no phase 2") + ", batch " + batchSize + ", seed " + seed + ", " + augmentation
                + ", classWeights " + classWeights + (patience > 0 ? ", patience " + patience : "")
                + ", batchNormFrozen " + batchNormFrozen + ")";
    }

    /** Builds a {@link FineTuner}. */
    public static final class Builder {
        private BaseModel base;
        private String cutLayer;
        private int[] denseSizes = {256};
        private double dropout = 0.5;
        private String trainableFrom;
        private int phase1Epochs = 10;
        private double phase1LearningRate = 1e-3;
        private int phase2Epochs;
        private String unfreezeFrom;
        private double phase2LearningRate = 1e-5;
        private Phase2Updater phase2Updater = Phase2Updater.ADAM;
        private int batchSize = 32;
        private long seed = 42;
        private Augmentation augmentation = Augmentation.none();
        private ClassWeights classWeights = ClassWeights.uniform();
        private int patience;
        private Path outputDir;
        private boolean batchNormFrozen = true;

        private Builder() {
        }

        /**
         * @param model the pretrained network (required; never modified)
         * @return this builder
         */
        public Builder setBaseModel(BaseModel model) {
            this.base = Objects.requireNonNull(model, "model");
            return this;
        }

        /**
         * @param layer the last layer of the base that is kept; default the model's default feature layer
         * @return this builder
         */
        public Builder optCutLayer(String layer) {
            this.cutLayer = Objects.requireNonNull(layer, "layer");
            return this;
        }

        /**
         * @param denseSizes sizes of the dense ReLU layers between pooling and output (may be empty); default {256}
         * @param dropout    dropout rate after each dense layer, in [0, 1); default 0.5
         * @return this builder
         */
        public Builder optHead(int[] denseSizes, double dropout) {
            for (int s : denseSizes) {
                if (s < 1) {
                    throw new IllegalArgumentException("Dense layer sizes must be positive, but were " + Arrays.toString(denseSizes) + ".");
                }
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("The dropout rate must be in [0, 1), but was " + dropout + ".");
            }
            this.denseSizes = denseSizes.clone();
            this.dropout = dropout;
            return this;
        }

        /**
         * Freezes the whole base in phase 1 (the default).
         *
         * @return this builder
         */
        public Builder optFreezeAll() {
            this.trainableFrom = null;
            return this;
        }

        /**
         * @param layer in phase 1, also train this base layer and everything after it (the base then runs every
         *              epoch instead of once)
         * @return this builder
         */
        public Builder optTrainableFrom(String layer) {
            this.trainableFrom = Objects.requireNonNull(layer, "layer");
            return this;
        }

        /**
         * @param epochs       phase-1 epochs, at least 1; default 10
         * @param learningRate Adam learning rate, positive; default 1e-3
         * @return this builder
         */
        public Builder optPhase1(int epochs, double learningRate) {
            if (epochs < 1) {
                throw new IllegalArgumentException("Phase 1 needs at least 1 epoch, but " + epochs + " were given.");
            }
            this.phase1Epochs = epochs;
            this.phase1LearningRate = positive("phase-1 learning rate", learningRate);
            return this;
        }

        /**
         * @param epochs       phase-2 epochs; 0 skips phase 2 (the default)
         * @param unfreezeFrom the first base layer to train in phase 2; it and everything after it up to the cut layer
         *                     are unfrozen
         * @param learningRate the lowered learning rate, positive; typically 1e-5
         * @param updater      Adam or SGD with momentum
         * @return this builder
         */
        public Builder optPhase2(int epochs, String unfreezeFrom, double learningRate, Phase2Updater updater) {
            if (epochs < 0) {
                throw new IllegalArgumentException("Phase 2 epochs must be 0 (skip) or more, but were " + epochs + ".");
            }
            this.phase2Epochs = epochs;
            this.unfreezeFrom = epochs > 0 ? Objects.requireNonNull(unfreezeFrom, "unfreezeFrom") : unfreezeFrom;
            this.phase2LearningRate = positive("phase-2 learning rate", learningRate);
            this.phase2Updater = Objects.requireNonNull(updater, "updater");
            return this;
        }

        /**
         * @param size images per batch, at least 1; default 32
         * @return this builder
         */
        public Builder optBatchSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("The batch size must be at least 1, but was " + size + ".");
            }
            this.batchSize = size;
            return this;
        }

        /**
         * @param seed seed of weight initialisation, shuffling, dropout and augmentation; default 42
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param augmentation applied to training images only; default none
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation) {
            this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
            return this;
        }

        /**
         * @param weights loss weights per class; default uniform
         * @return this builder
         */
        public Builder optClassWeights(ClassWeights weights) {
            this.classWeights = Objects.requireNonNull(weights, "weights");
            return this;
        }

        /**
         * @param patience stop a phase after this many epochs without a lower validation loss and restore the best
         *                 parameters; 0 (default) disables
         * @return this builder
         */
        public Builder optEarlyStopping(int patience) {
            if (patience < 0) {
                throw new IllegalArgumentException("The early-stopping patience must be 0 (off) or more, but was " + patience + ".");
            }
            this.patience = patience;
            return this;
        }

        /**
         * @param dir where history.csv and history.png are written; default none
         * @return this builder
         */
        public Builder optOutputDir(Path dir) {
            this.outputDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * @param frozen keep the batch-normalisation layers of the base in inference mode with fixed statistics in
         *               phase 2 too; default true
         * @return this builder
         */
        public Builder optBatchNormFrozen(boolean frozen) {
            this.batchNormFrozen = frozen;
            return this;
        }

        /**
         * @return the fine-tuner
         * @throws IllegalArgumentException when no base model was set
         * @throws TransferKitException when a named layer does not exist or the layers are in the wrong order
         */
        public FineTuner build() {
            if (base == null) {
                throw new IllegalArgumentException("A FineTuner needs a base model: call setBaseModel(model).");
            }
            if (cutLayer == null) {
                cutLayer = base.defaultFeatureLayer();
            }
            base.requireLayer(cutLayer);
            GraphSurgery surgery = new GraphSurgery(base.graph());
            Set<String> cutAncestors = surgery.ancestors(cutLayer);
            for (String[] named : new String[][]{{"trainable-from", trainableFrom}, {"unfreeze-from", unfreezeFrom}}) {
                if (named[1] != null && (!named[0].equals("unfreeze-from") || phase2Epochs > 0)) {
                    base.requireLayer(named[1]);
                    if (!cutAncestors.contains(named[1])) {
                        throw new TransferKitException("The " + named[0] + " layer '" + named[1] + "' of '" + base.name()
                                + "' does not lie before the cut layer '" + cutLayer + "'; choose one of " + cutAncestors + ".");
                    }
                }
            }
            return new FineTuner(this);
        }

        private static double positive(String what, double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("The " + what + " must be positive and finite, but was " + v + ".");
            }
            return v;
        }
    }
}
