package dev.transferkit.finetune;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import org.nd4j.linalg.activations.Activation;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Fine-tunes a pretrained network on an {@link ImageFolder} in two phases, as in the Keras transfer-learning guide:
 * <ol>
 *   <li>Phase 1: the network is cut after {@link Builder#optCutLayer(String) the cut layer}, a new head
 *   (global average pooling, dense layers with dropout, softmax output) is added, and the head is trained with
 *   Adam while the base stays frozen ({@link Builder#optFreezeAll()}, the default), or with the base trainable from
 *   a named layer ({@link Builder#optTrainableFrom(String)}) or in its last blocks ({@link Builder#optTrainableBlocks(int)}).
 *   With a frozen base and no augmentation the base runs once: its activations are cached and the head trains on them.</li>
 *   <li>Phase 2 (optional): the layers from {@link Builder#optPhase2 unfreezeFrom} (or the last N blocks) up to the
 *   cut layer are unfrozen and trained with a much lower learning rate, with Adam or SGD with momentum, optionally with
 *   {@link Builder#optDiscriminativeLr(double) discriminative learning rates}.</li>
 * </ol>
 * Batch-normalisation layers of the pretrained part stay in inference mode in both phases by default
 * ({@link Builder#optBatchNormFrozen(boolean)}). Augmentation applies to training images only. With
 * {@link Builder#optCheckpointDir(Path)} every epoch is checkpointed and an interrupted run resumes where it stopped.
 * The base model itself is never modified. Instances are immutable and reusable.
 */
public final class FineTuner {
    static final String POOL = "ft_pool";
    static final String DENSE = "ft_dense_";
    static final String OUTPUT = "ft_output";
    static final String FEATURES = "ft_features";
    /**
     * The default {@link Builder#optBlockPattern(String) block pattern}: names such as {@code block_13_expand}
     * (Keras MobileNetV2), {@code conv4_block3_1_conv} (Keras ResNet), {@code block5_conv1} (Keras VGG) and
     * {@code block6a_expand_conv} (EfficientNet); the first group names the block.
     */
    public static final String DEFAULT_BLOCK_PATTERN = "(.*block_?\\d+[a-z]?)_";

    /** The updater of phase 2. */
    public enum Phase2Updater {
        /** Adam with the phase-2 learning rate. */
        ADAM,
        /** SGD with Nesterov momentum 0.9. */
        SGD_MOMENTUM
    }

    // Package-private: FineTuneRun reads them.
    final BaseModel base;
    final String cutLayer;
    final int[] denseSizes;
    final double dropout;
    final Activation headActivation;
    final String trainableFrom;
    final double validationHoldout;
    final ImageOptions imageOptions;
    final int trainableBlocks;
    final int phase1Epochs;
    final double phase1LearningRate;
    final int phase2Epochs;
    final String unfreezeFrom;
    final int unfreezeBlocks;
    final double phase2LearningRate;
    final Phase2Updater phase2Updater;
    final Pattern blockPattern;
    final double discriminativeFactor;
    final int batchSize;
    final long seed;
    final Augmentation augmentation;
    final boolean augmentPhase1;
    final ClassWeights classWeights;
    final int patience;
    final Path outputDir;
    final Path checkpointDir;
    final FineTuneListener listener;
    final boolean batchNormFrozen;

    private FineTuner(Builder b) {
        this.base = b.base;
        this.cutLayer = b.cutLayer;
        this.denseSizes = b.denseSizes.clone();
        this.dropout = b.dropout;
        this.headActivation = b.headActivation;
        this.trainableFrom = b.trainableFrom;
        this.validationHoldout = b.validationHoldout;
        this.imageOptions = b.imageOptions;
        this.trainableBlocks = b.trainableBlocks;
        this.phase1Epochs = b.phase1Epochs;
        this.phase1LearningRate = b.phase1LearningRate;
        this.phase2Epochs = b.phase2Epochs;
        this.unfreezeFrom = b.unfreezeFrom;
        this.unfreezeBlocks = b.unfreezeBlocks;
        this.phase2LearningRate = b.phase2LearningRate;
        this.phase2Updater = b.phase2Updater;
        this.blockPattern = b.blockPattern;
        this.discriminativeFactor = b.discriminativeFactor;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.augmentation = b.augmentation;
        this.augmentPhase1 = b.augmentPhase1;
        this.classWeights = b.classWeights;
        this.patience = b.patience;
        this.outputDir = b.outputDir;
        this.checkpointDir = b.checkpointDir;
        this.listener = b.listener;
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
     * <p>With {@link Builder#optCheckpointDir(Path) a checkpoint directory}, the state after every epoch is saved
     * there and a later {@code fit} with the same settings, base model and data continues from it (see
     * {@link Builder#optCheckpointDir(Path)}).
     *
     * @param data            the dataset
     * @param trainSplit      the training split
     * @param validationSplit the validation split, or {@code null} to hold out part of the training split
     *                        ({@link Builder#optValidationHoldout}, 10 % by default; with a hold-out of 0 there is no
     *                        validation and early stopping is not allowed)
     * @return the fine-tuned predictor, history and timings
     * @throws TransferKitException when a split is missing or empty, or early stopping has no validation data
     * @throws CheckpointException  when the checkpoint directory holds a damaged checkpoint or one of another run
     */
    public FineTuneResult fit(ImageFolder data, String trainSplit, String validationSplit) {
        Objects.requireNonNull(data, "data");
        if (data.labelEncoder().size() < 2) {
            throw new TransferKitException("The dataset " + data.root() + " has " + data.labelEncoder().size()
                    + " class; fine-tuning needs at least 2.");
        }
        if (validationSplit == null && patience > 0 && validationHoldout == 0) {
            throw new TransferKitException("Early stopping (patience " + patience + ") needs a validation split or a hold-out "
                    + "(optValidationHoldout), but neither was given.");
        }
        return new FineTuneRun(this, data, trainSplit, validationSplit).run();
    }

    /** @return the training settings that decide the result, as one line (the checkpoint fingerprint uses it) */
    String settings() {
        return "cut=" + cutLayer + ", head=" + Arrays.toString(denseSizes) + " " + headActivation + " dropout " + dropout
                + ", phase1=" + phase1Epochs + " epochs @ " + phase1LearningRate
                + (trainableFrom != null ? " training from '" + trainableFrom + "'" : " base frozen")
                + (phase2Epochs > 0 ? ", phase2=" + phase2Epochs + " epochs from '" + unfreezeFrom + "' @ " + phase2LearningRate
                + " " + phase2Updater : ", no phase 2")
                + (discriminativeFactor != 1 ? ", discriminative lr x" + discriminativeFactor + " per block of /"
                + blockPattern + "/" : "")
                + ", batch " + batchSize + ", seed " + seed + ", " + augmentation
                + (augmentPhase1 || augmentation.isIdentity() ? "" : " in phase 2 only")
                + ", classWeights " + classWeights + (patience > 0 ? ", patience " + patience : "")
                + ", batchNormFrozen " + batchNormFrozen
                + (validationHoldout > 0 ? ", hold-out " + validationHoldout + " when no validation split" : "")
                + ", images " + imageOptions.toMap();
    }

    private Builder toBuilder() {
        Builder b = new Builder();
        b.base = base;
        b.cutLayer = cutLayer;
        b.denseSizes = denseSizes.clone();
        b.dropout = dropout;
        b.headActivation = headActivation;
        b.trainableFrom = trainableBlocks > 0 ? null : trainableFrom;
        b.trainableBlocks = trainableBlocks;
        b.phase1Epochs = phase1Epochs;
        b.phase1LearningRate = phase1LearningRate;
        b.phase2Epochs = phase2Epochs;
        b.unfreezeFrom = unfreezeBlocks > 0 ? null : unfreezeFrom;
        b.unfreezeBlocks = unfreezeBlocks;
        b.phase2LearningRate = phase2LearningRate;
        b.phase2Updater = phase2Updater;
        b.blockPattern = blockPattern;
        b.discriminativeFactor = discriminativeFactor;
        b.batchSize = batchSize;
        b.seed = seed;
        b.augmentation = augmentation;
        b.augmentPhase1 = augmentPhase1;
        b.classWeights = classWeights;
        b.patience = patience;
        b.outputDir = outputDir;
        b.checkpointDir = checkpointDir;
        b.listener = listener;
        b.batchNormFrozen = batchNormFrozen;
        b.validationHoldout = validationHoldout;
        b.imageOptions = imageOptions;
        return b;
    }

    @Override
    public String toString() {
        return "FineTuner(base=" + base.name() + ", " + settings()
                + (checkpointDir != null ? ", checkpoints in " + checkpointDir : "")
                + (outputDir != null ? ", output in " + outputDir : "") + ")";
    }

    /** Builds a {@link FineTuner}. */
    public static final class Builder {
        private BaseModel base;
        private String cutLayer;
        private int[] denseSizes = {256};
        private double dropout = 0.5;
        private Activation headActivation = Activation.RELU;
        private String trainableFrom;
        private double validationHoldout = 0.1;
        private ImageOptions imageOptions = ImageOptions.defaults();
        private int trainableBlocks;
        private int phase1Epochs = 10;
        private double phase1LearningRate = 1e-3;
        private int phase2Epochs;
        private String unfreezeFrom;
        private int unfreezeBlocks;
        private double phase2LearningRate = 1e-5;
        private Phase2Updater phase2Updater = Phase2Updater.ADAM;
        private Pattern blockPattern = Pattern.compile(DEFAULT_BLOCK_PATTERN);
        private double discriminativeFactor = 1;
        private int batchSize = 32;
        private long seed = 42;
        private Augmentation augmentation = Augmentation.none();
        private boolean augmentPhase1 = true;
        private ClassWeights classWeights = ClassWeights.uniform();
        private int patience;
        private Path outputDir;
        private Path checkpointDir;
        private FineTuneListener listener = new FineTuneListener() {
        };
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
            this.trainableBlocks = 0;
            return this;
        }

        /**
         * @param layer in phase 1, also train this base layer and everything after it (the base then runs every
         *              epoch instead of once)
         * @return this builder
         */
        public Builder optTrainableFrom(String layer) {
            this.trainableFrom = Objects.requireNonNull(layer, "layer");
            this.trainableBlocks = 0;
            return this;
        }

        /**
         * In phase 1, also trains the last {@code blocks} blocks of the base below the cut layer (the base then runs
         * every epoch). Blocks are groups of layers by name ({@link #optBlockPattern(String)}).
         *
         * @param blocks how many blocks, counted back from the cut layer; at least 1
         * @return this builder
         */
        public Builder optTrainableBlocks(int blocks) {
            if (blocks < 1) {
                throw new IllegalArgumentException("The number of trainable blocks must be at least 1, but was " + blocks
                        + "; use optFreezeAll() to freeze the whole base.");
            }
            this.trainableBlocks = blocks;
            this.trainableFrom = null;
            return this;
        }

        /**
         * @param activation the activation of the head's dense layers; default ReLU
         * @return this builder
         */
        public Builder optHeadActivation(Activation activation) {
            this.headActivation = Objects.requireNonNull(activation, "activation");
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
            this.unfreezeBlocks = 0;
            this.phase2LearningRate = positive("phase-2 learning rate", learningRate);
            this.phase2Updater = Objects.requireNonNull(updater, "updater");
            return this;
        }

        /**
         * Phase 2 that unfreezes the last {@code blocks} blocks of the base ({@link #optBlockPattern(String)}).
         *
         * @param epochs       phase-2 epochs, at least 1
         * @param blocks       how many blocks, counted back from the cut layer, to unfreeze; at least 1
         * @param learningRate the lowered learning rate, positive
         * @param updater      Adam or SGD with momentum
         * @return this builder
         */
        public Builder optPhase2(int epochs, int blocks, double learningRate, Phase2Updater updater) {
            if (epochs < 1) {
                throw new IllegalArgumentException("Phase 2 with unfrozen blocks needs at least 1 epoch, but " + epochs + " were given.");
            }
            if (blocks < 1) {
                throw new IllegalArgumentException("Phase 2 must unfreeze at least 1 block, but " + blocks + " were given.");
            }
            optPhase2(epochs, "", learningRate, updater);
            this.unfreezeFrom = null;
            this.unfreezeBlocks = blocks;
            return this;
        }

        /**
         * How layers are grouped into blocks (for {@link #optTrainableBlocks(int)}, {@link #optPhase2(int, int,
         * double, Phase2Updater)} and {@link #optDiscriminativeLr(double)}): a layer whose name starts with a match of
         * this regular expression belongs to the block named by its first group; a layer whose name does not match
         * belongs to the block below it (layers before the first match form the block "stem"). Default
         * {@value #DEFAULT_BLOCK_PATTERN}, which groups MobileNetV2's {@code block_13_*} layers (and puts
         * {@code Conv_1} and {@code out_relu} into {@code block_16}).
         *
         * @param regex a regular expression with at least one capturing group
         * @return this builder
         */
        public Builder optBlockPattern(String regex) {
            Objects.requireNonNull(regex, "regex");
            Pattern p;
            try {
                p = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("The block pattern '" + regex + "' is not a regular expression: "
                        + e.getDescription() + ".", e);
            }
            if (p.matcher("").groupCount() < 1) {
                throw new IllegalArgumentException("The block pattern '" + regex
                        + "' has no capturing group; its first group must name the block, as in '(block_\\d+)_'.");
            }
            this.blockPattern = p;
            return this;
        }

        /**
         * Discriminative learning rates: the trainable layers of the base learn more slowly the deeper they lie. The
         * head keeps the phase's learning rate {@code lr}; the base block next to the cut gets {@code lr * factor},
         * the one below it {@code lr * factor^2}, and so on ({@link #optBlockPattern(String) blocks}). Applies to
         * whichever base layers are trainable in a phase.
         *
         * @param factor in (0, 1]; 1 (the default) gives every layer the same rate
         * @return this builder
         */
        public Builder optDiscriminativeLr(double factor) {
            if (!(factor > 0 && factor <= 1)) {
                throw new IllegalArgumentException("The discriminative learning-rate factor must be in (0, 1], but was " + factor + ".");
            }
            this.discriminativeFactor = factor;
            return this;
        }

        /**
         * Saves the run's state after every epoch into {@code dir} and resumes from it.
         *
         * <p>After each epoch, {@code dir/last.ckpt} is replaced atomically by the current state: the trained
         * network's parameters and updater state, phase, epoch, history, early-stopping state and iteration count.
         * Whenever the validation loss is the lowest of the run so far, {@code dir/best-model.zip} is replaced by the
         * predictor at that epoch ({@link TransferModel#load(Path)} reads it). When {@code fit} finds a
         * {@code last.ckpt} written with the same settings, base model and training data, it continues after the
         * checkpoint's epoch; every epoch draws its randomness from (seed, phase, epoch), so the resumed run ends
         * with the same history and parameters as an uninterrupted one. A finished run's checkpoint stays, so
         * calling {@code fit} again returns the result without training; delete the directory to train afresh. A
         * checkpoint of another run, or a damaged one, is refused with a {@link CheckpointException}.
         *
         * @param dir the checkpoint directory (created when missing); default none (no checkpoints)
         * @return this builder
         */
        public Builder optCheckpointDir(Path dir) {
            this.checkpointDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * @param listener receives batch and epoch progress; default none
         * @return this builder
         */
        public Builder optListener(FineTuneListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets how training and validation images are decoded and resized (default {@link ImageOptions#defaults()});
         * the predictor records them and applies the same to new images.
         *
         * @param imageOptions resize policy, background, pixel limit, EXIF handling
         * @return this builder
         */
        public Builder optImageOptions(ImageOptions imageOptions) {
            this.imageOptions = Objects.requireNonNull(imageOptions, "imageOptions");
            return this;
        }

        /**
         * Sets the fraction of the training split held out for validation when {@link FineTuner#fit} gets no
         * validation split (default 0.1): stratified by class and deterministic for a seed; it selects the best epoch
         * and drives early stopping. 0 trains on every image without validation.
         *
         * @param fraction 0, or more than 0 and at most 0.5
         * @return this builder
         * @throws IllegalArgumentException when outside that range
         */
        public Builder optValidationHoldout(double fraction) {
            if (!(fraction == 0 || (fraction > 0 && fraction <= 0.5))) {
                throw new IllegalArgumentException("The validation hold-out must be 0 or in (0, 0.5], but was " + fraction + ".");
            }
            this.validationHoldout = fraction;
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
            return optAugmentation(augmentation, true);
        }

        /**
         * @param augmentation applied to training images only
         * @param inPhase1     also augment in phase 1; {@code false} keeps phase 1 on the frozen base's cached
         *                     activations (the base runs once instead of every epoch) and augments in phase 2 only
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation, boolean inPhase1) {
            this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
            this.augmentPhase1 = inPhase1;
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
                throw new MissingSettingException("A FineTuner needs a base model: call setBaseModel(model).");
            }
            if (cutLayer == null) {
                cutLayer = base.defaultFeatureLayer();
            }
            base.requireLayer(cutLayer);
            GraphSurgery surgery = new GraphSurgery(base.graph());
            Set<String> cutAncestors = surgery.ancestors(cutLayer);
            if (trainableBlocks > 0 || unfreezeBlocks > 0) {
                LayerBlocks blocks = new LayerBlocks(surgery.layersAmong(cutAncestors), blockPattern);
                if (trainableBlocks > 0) {
                    trainableFrom = blocks.firstLayerOfTop(trainableBlocks, base.name());
                }
                if (unfreezeBlocks > 0 && phase2Epochs > 0) {
                    unfreezeFrom = blocks.firstLayerOfTop(unfreezeBlocks, base.name());
                }
            }
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
