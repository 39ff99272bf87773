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
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
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

    /**
     * The new head that replaces the network's own after the cut.
     *
     * @param cutLayer   the last layer of the base that is kept
     * @param denseSizes sizes of the dense layers between pooling and output, in order (may be empty)
     * @param dropout    dropout rate after each dense layer, in [0, 1)
     * @param activation the activation of the dense layers
     */
    public record Head(String cutLayer, List<Integer> denseSizes, double dropout, Activation activation) {
        /** Copies the list of sizes. */
        public Head {
            denseSizes = List.copyOf(denseSizes);
        }
    }

    /**
     * One training phase.
     *
     * @param epochs          epochs; in phase 2, 0 skips the phase
     * @param learningRate    the learning rate of the head and, without discriminative rates, of the trainable base
     * @param updater         how the phase updates the weights (phase 1 always uses Adam)
     * @param trainableFrom   the first base layer trained in this phase (it and everything after it up to the cut
     *                        layer), or null
     * @param trainableBlocks how many blocks below the cut layer are trained instead, or 0; with neither, phase 1
     *                        trains the head alone
     */
    public record Phase(int epochs, double learningRate, Phase2Updater updater, String trainableFrom, int trainableBlocks) {
    }

    /**
     * How the trainable layers of the base train, in both phases.
     *
     * @param blockPattern         how layers are grouped into blocks ({@link Builder#optBlockPattern(String)})
     * @param discriminativeFactor the learning-rate factor per block below the cut; 1 for none
     * @param batchNormFrozen      whether the base's batch normalisation stays in inference mode
     */
    public record BaseLayers(String blockPattern, double discriminativeFactor, boolean batchNormFrozen) {
    }

    /**
     * The training loop's settings, for both phases.
     *
     * @param batchSize         images per batch
     * @param seed              seed of weight initialisation, shuffling, dropout, augmentation and the hold-out
     * @param classWeights      loss weights per class
     * @param patience          early-stopping patience in epochs; 0 for none
     * @param validationHoldout the fraction of the training split held out when there is no validation split
     */
    public record Training(int batchSize, long seed, ClassWeights classWeights, int patience, double validationHoldout) {
    }

    /**
     * Every setting that decides what a fine-tuning run computes; the checkpoint fingerprint is derived from all of
     * their components, so that a checkpoint is resumed only by a run with the same settings.
     *
     * @param head          the new head
     * @param phase1        phase 1
     * @param phase2        phase 2
     * @param baseLayers    how the base's trainable layers train
     * @param training      the training loop
     * @param augmentation  the augmentation of training images
     * @param augmentPhase1 whether phase 1 is augmented too (else phase 2 only)
     * @param imageOptions  how images are decoded and resized
     */
    public record Settings(Head head, Phase phase1, Phase phase2, BaseLayers baseLayers, Training training,
                           Augmentation augmentation, boolean augmentPhase1, ImageOptions imageOptions) {
    }

    // Package-private: FineTuneRun reads them. Only settings and base decide the result; trainableFrom, unfreezeFrom
    // and blockPattern are derived from them.
    final BaseModel base;
    final Settings settings;
    final String trainableFrom;
    final String unfreezeFrom;
    final Pattern blockPattern;
    final Path outputDir;
    final Path checkpointDir;
    final FineTuneListener listener;
    final boolean memoryCheck;
    final Supplier<MemoryBudget.Available> availableMemory;

    private FineTuner(Builder b, Settings settings, String trainableFrom, String unfreezeFrom, Pattern blockPattern) {
        this.base = b.base;
        this.settings = settings;
        this.trainableFrom = trainableFrom;
        this.unfreezeFrom = unfreezeFrom;
        this.blockPattern = blockPattern;
        this.outputDir = b.outputDir;
        this.checkpointDir = b.checkpointDir;
        this.listener = b.listener;
        this.memoryCheck = b.memoryCheck;
        this.availableMemory = b.availableMemory;
    }

    /** @return a builder; {@code setBaseModel} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the layer after which the original head is replaced */
    public String cutLayer() {
        return settings.head().cutLayer();
    }

    /** @return every setting that decides the result (the checkpoint fingerprint is derived from them) */
    public Settings settings() {
        return settings;
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
        return toBuilder().optPhase1(epochs, settings.phase1().learningRate()).build().fit(data, ImageFolder.TRAIN, validation);
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
     * @throws TransferKitException when a split is missing or empty, early stopping has no validation data, or a
     *                              phase's estimated peak memory exceeds the memory available
     *                              ({@link Builder#optMemoryCheck(boolean)})
     * @throws CheckpointException  when the checkpoint directory holds a damaged checkpoint or one of another run
     */
    public FineTuneResult fit(ImageFolder data, String trainSplit, String validationSplit) {
        Objects.requireNonNull(data, "data");
        if (data.labelEncoder().size() < 2) {
            throw new TransferKitException("The dataset " + data.root() + " has " + data.labelEncoder().size()
                    + " class; fine-tuning needs at least 2.");
        }
        Training training = settings.training();
        if (validationSplit == null && training.patience() > 0 && training.validationHoldout() == 0) {
            throw new TransferKitException("Early stopping (patience " + training.patience() + ") needs a validation split or a hold-out "
                    + "(optValidationHoldout), but neither was given.");
        }
        return new FineTuneRun(this, data, trainSplit, validationSplit).run();
    }

    /**
     * Starts a builder holding this fine-tuner's settings, base model, directories and listener, to derive a
     * fine-tuner that differs in some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.base = base;
        b.head = settings.head();
        b.phase1 = settings.phase1();
        b.phase2 = settings.phase2();
        b.baseLayers = settings.baseLayers();
        b.training = settings.training();
        b.augmentation = settings.augmentation();
        b.augmentPhase1 = settings.augmentPhase1();
        b.imageOptions = settings.imageOptions();
        b.outputDir = outputDir;
        b.checkpointDir = checkpointDir;
        b.listener = listener;
        b.memoryCheck = memoryCheck;
        b.availableMemory = availableMemory;
        return b;
    }

    @Override
    public String toString() {
        return "FineTuner(base=" + base.name() + ", " + settings
                + (checkpointDir != null ? ", checkpoints in " + checkpointDir : "")
                + (outputDir != null ? ", output in " + outputDir : "") + (memoryCheck ? "" : ", memory check off") + ")";
    }

    /** Builds a {@link FineTuner}. */
    public static final class Builder {
        private BaseModel base;
        private Head head = new Head(null, List.of(256), 0.5, Activation.RELU);
        private Phase phase1 = new Phase(10, 1e-3, Phase2Updater.ADAM, null, 0);
        private Phase phase2 = new Phase(0, 1e-5, Phase2Updater.ADAM, null, 0);
        private BaseLayers baseLayers = new BaseLayers(DEFAULT_BLOCK_PATTERN, 1, true);
        private Training training = new Training(32, 42, ClassWeights.uniform(), 0, 0.1);
        private Augmentation augmentation = Augmentation.none();
        private boolean augmentPhase1 = true;
        private ImageOptions imageOptions = ImageOptions.defaults();
        private Path outputDir;
        private Path checkpointDir;
        private FineTuneListener listener = new FineTuneListener() {
        };
        private boolean memoryCheck = true;
        private Supplier<MemoryBudget.Available> availableMemory = MemoryBudget::available;

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
            head = new Head(Objects.requireNonNull(layer, "layer"), head.denseSizes(), head.dropout(), head.activation());
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
            head = new Head(head.cutLayer(), Arrays.stream(denseSizes).boxed().toList(), dropout, head.activation());
            return this;
        }

        /**
         * Freezes the whole base in phase 1 (the default).
         *
         * @return this builder
         */
        public Builder optFreezeAll() {
            phase1 = new Phase(phase1.epochs(), phase1.learningRate(), Phase2Updater.ADAM, null, 0);
            return this;
        }

        /**
         * @param layer in phase 1, also train this base layer and everything after it (the base then runs every
         *              epoch instead of once)
         * @return this builder
         */
        public Builder optTrainableFrom(String layer) {
            phase1 = new Phase(phase1.epochs(), phase1.learningRate(), Phase2Updater.ADAM, Objects.requireNonNull(layer, "layer"), 0);
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
            phase1 = new Phase(phase1.epochs(), phase1.learningRate(), Phase2Updater.ADAM, null, blocks);
            return this;
        }

        /**
         * @param activation the activation of the head's dense layers; default ReLU
         * @return this builder
         */
        public Builder optHeadActivation(Activation activation) {
            head = new Head(head.cutLayer(), head.denseSizes(), head.dropout(), Objects.requireNonNull(activation, "activation"));
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
            phase1 = new Phase(epochs, positive("phase-1 learning rate", learningRate), Phase2Updater.ADAM, phase1.trainableFrom(),
                    phase1.trainableBlocks());
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
            phase2 = new Phase(epochs, positive("phase-2 learning rate", learningRate), Objects.requireNonNull(updater, "updater"),
                    epochs > 0 ? Objects.requireNonNull(unfreezeFrom, "unfreezeFrom") : unfreezeFrom, 0);
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
            phase2 = new Phase(epochs, phase2.learningRate(), phase2.updater(), null, blocks);
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
            baseLayers = new BaseLayers(regex, baseLayers.discriminativeFactor(), baseLayers.batchNormFrozen());
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
            baseLayers = new BaseLayers(baseLayers.blockPattern(), factor, baseLayers.batchNormFrozen());
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
         * checkpoint of another run, or a damaged one, is refused with a {@link CheckpointException}. While a phase
         * trains, {@code dir/boundary-cache/} holds the frozen layers' activations of the images (computed once when
         * there is no augmentation), which a resumed run reuses or completes; it is deleted when the phase ends.
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
            training = new Training(training.batchSize(), training.seed(), training.classWeights(), training.patience(), fraction);
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
            training = new Training(size, training.seed(), training.classWeights(), training.patience(), training.validationHoldout());
            return this;
        }

        /**
         * @param seed seed of weight initialisation, shuffling, dropout and augmentation; default 42
         * @return this builder
         */
        public Builder optSeed(long seed) {
            training = new Training(training.batchSize(), seed, training.classWeights(), training.patience(), training.validationHoldout());
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
            training = new Training(training.batchSize(), training.seed(), Objects.requireNonNull(weights, "weights"),
                    training.patience(), training.validationHoldout());
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
            training = new Training(training.batchSize(), training.seed(), training.classWeights(), patience,
                    training.validationHoldout());
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
         * Before training, {@link FineTuner#fit} estimates each phase's peak memory from its network, its freeze
         * boundary and the batch size, and refuses to start when the estimate exceeds the memory available (on Linux
         * the free memory plus what the process holds; elsewhere the physical memory; at most javacpp's
         * {@code maxPhysicalBytes}), naming the largest batch size that fits, instead of being killed by the operating
         * system half-way. The estimate is logged either way; see docs/FINETUNING.md.
         *
         * @param check false to skip the check, for a machine where the estimate is too cautious; default true
         * @return this builder
         */
        public Builder optMemoryCheck(boolean check) {
            this.memoryCheck = check;
            return this;
        }

        /** Replaces where the memory check reads the memory available (tests simulate a small machine with it). */
        Builder availableMemory(Supplier<MemoryBudget.Available> source) {
            this.availableMemory = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * @param frozen keep the batch-normalisation layers of the base in inference mode with fixed statistics in
         *               phase 2 too; default true
         * @return this builder
         */
        public Builder optBatchNormFrozen(boolean frozen) {
            baseLayers = new BaseLayers(baseLayers.blockPattern(), baseLayers.discriminativeFactor(), frozen);
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
            String cutLayer = base.requireLayer(head.cutLayer() != null ? head.cutLayer() : base.defaultFeatureLayer());
            Pattern pattern = Pattern.compile(baseLayers.blockPattern());
            GraphSurgery surgery = new GraphSurgery(base.graph());
            Set<String> cutAncestors = surgery.ancestors(cutLayer);
            LayerBlocks blocks = new LayerBlocks(surgery.layersAmong(cutAncestors), pattern);
            String trainableFrom = phase1.trainableBlocks() > 0 ? blocks.firstLayerOfTop(phase1.trainableBlocks(), base.name())
                    : phase1.trainableFrom();
            String unfreezeFrom = phase2.epochs() == 0 ? null : phase2.trainableBlocks() > 0
                    ? blocks.firstLayerOfTop(phase2.trainableBlocks(), base.name()) : phase2.trainableFrom();
            for (String[] named : new String[][]{{"trainable-from", trainableFrom}, {"unfreeze-from", unfreezeFrom}}) {
                if (named[1] != null) {
                    base.requireLayer(named[1]);
                    if (!cutAncestors.contains(named[1])) {
                        throw new TransferKitException("The " + named[0] + " layer '" + named[1] + "' of '" + base.name()
                                + "' does not lie before the cut layer '" + cutLayer + "'; choose one of " + cutAncestors + ".");
                    }
                }
            }
            Settings settings = new Settings(new Head(cutLayer, head.denseSizes(), head.dropout(), head.activation()), phase1,
                    phase2, baseLayers, training, augmentation, augmentPhase1, imageOptions);
            return new FineTuner(this, settings, trainableFrom, unfreezeFrom, pattern);
        }

        private static double positive(String what, double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("The " + what + " must be positive and finite, but was " + v + ".");
            }
            return v;
        }
    }
}
