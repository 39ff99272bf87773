package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.io.FileTrees;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One execution of a {@link FineTuner} on one dataset: builds the networks of both phases, trains them, writes
 * checkpoints after every epoch and resumes from one. Used once, by one thread.
 */
final class FineTuneRun {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneRun.class);
    static final String LAST_CHECKPOINT = "last.ckpt";
    static final String BEST_MODEL = "best-model.zip";
    /** The checkpoint directory's folder of the frozen prefix's cached activations, while a phase trains. */
    static final String BOUNDARY_CACHE = "boundary-cache";

    private final FineTuner t;
    private final FineTuner.Settings s;
    private final ImageFolder data;
    private final String trainSplit;
    private final String validationSplit;
    private final List<String> labels;
    private final ImageSet train;
    private final ImageSet validation;
    private final double[] weights;
    private final GraphSurgery surgery;
    private final Set<String> cutAncestors;
    private final LayerBlocks blocks;
    private final Set<String> unfrozen1;
    private final Set<String> unfrozen2;
    private final RunFingerprint fingerprint;
    private final Path cacheDir;
    private final List<EpochStats> history = new ArrayList<>();
    private final double[] seconds = new double[2];
    private double bestRunLoss = Double.POSITIVE_INFINITY;
    private List<GraphSurgery.HeadLayer> head;
    private long[] cutShape;
    private ComputationGraph phase1Network;
    private double phase1Loss = Double.NaN;
    private boolean phase2Kept = true;
    /** The memory estimates of the phases this run trains, made before training (tests read them). */
    List<MemoryBudget> memoryBudgets = List.of();

    FineTuneRun(FineTuner tuner, ImageFolder data, String trainSplit, String validationSplit) {
        this.t = tuner;
        this.s = tuner.settings;
        this.data = data;
        this.trainSplit = trainSplit;
        this.validationSplit = validationSplit;
        LabelEncoder encoder = data.labelEncoder();
        this.labels = encoder.toList();
        ImagePipeline pipeline = t.base.pipeline(s.imageOptions());
        List<LabeledImage> trainImages = data.images(trainSplit);
        List<LabeledImage> validationImages = validationSplit == null ? null : data.images(validationSplit);
        String validationWhere = data.root() + "/" + validationSplit;
        if (validationSplit == null && s.training().validationHoldout() > 0) {
            ValidationHoldout holdout = ValidationHoldout.of(trainImages, s.training().validationHoldout(), s.training().seed());
            trainImages = holdout.train();
            validationImages = holdout.validation().isEmpty() ? null : holdout.validation();
            validationWhere = s.training().validationHoldout() + " of " + data.root() + "/" + trainSplit + " held out";
            LOG.info("No validation split: {} of the {} training images are held out for validation (stratified, seed {}).",
                    holdout.validation().size(), holdout.train().size() + holdout.validation().size(), s.training().seed());
        }
        this.train = ImageSet.of(trainImages, encoder, pipeline, data.root() + "/" + trainSplit);
        this.validation = validationImages == null ? null : ImageSet.of(validationImages, encoder, pipeline, validationWhere);
        this.weights = s.training().classWeights().resolve(labels, train.labels());
        this.surgery = new GraphSurgery(t.base.graph());
        this.cutAncestors = surgery.ancestors(s.head().cutLayer());
        this.blocks = new LayerBlocks(surgery.layersAmong(cutAncestors), t.blockPattern);
        this.unfrozen1 = t.trainableFrom == null ? Set.of() : unfrozenFrom(t.trainableFrom);
        this.unfrozen2 = s.phase2().epochs() == 0 ? Set.of() : unfrozenFrom(t.unfreezeFrom);
        this.fingerprint = t.checkpointDir == null ? null : new RunFingerprint(RunFingerprint.ofSettings(s), RunFingerprint.ofModel(t.base),
                RunFingerprint.ofData(data.root(), trainSplit, trainImages, validationSplit, validationImages));
        this.cacheDir = t.checkpointDir == null ? null : t.checkpointDir.resolve(BOUNDARY_CACHE);
    }

    /** The base layers from {@code first} up to the cut layer. */
    private Set<String> unfrozenFrom(String first) {
        Set<String> out = new LinkedHashSet<>(surgery.descendants(first));
        out.retainAll(cutAncestors);
        return surgery.layersAmong(out);
    }

    private Set<String> frozen(Set<String> unfrozen) {
        Set<String> out = new LinkedHashSet<>(surgery.layersAmong(cutAncestors));
        out.removeAll(unfrozen);
        return out;
    }

    FineTuneResult run() {
        Checkpoint resume = readCheckpoint();
        if (resume != null) {
            history.addAll(resume.state.history());
            seconds[0] = resume.state.phaseSeconds()[0];
            seconds[1] = resume.state.phaseSeconds()[1];
            bestRunLoss = resume.state.bestRunLoss();
        }
        Nd4j.getRandom().setSeed(s.training().seed());
        long t0 = System.nanoTime();
        UnaryOperator<INDArray> trunk = trunk();
        cutShape = trunk.apply(train.batch(new int[]{0}, null, null)).shape();
        head = headLayers();
        // Both phases' networks are built, and their memory checked, before anything trains.
        ComputationGraph phase1 = resume == null || resume.state.phase() == 1
                ? network(frozen(unfrozen1), unfrozen1, new Adam(s.phase1().learningRate())) : null;
        ComputationGraph phase2 = s.phase2().epochs() > 0 ? network(frozen(unfrozen2), unfrozen2, phase2Updater()) : null;
        checkMemory(phase1, phase2);
        ComputationGraph network = null; // not needed when resuming in phase 2: the checkpoint holds every parameter
        if (phase1 != null) {
            PhaseProgress progress = new PhaseProgress();
            if (resume != null) {
                restoreParams(phase1, resume);
            }
            try (FrozenPrefix split = FrozenPrefix.split(phase1, frozen(unfrozen1), t.base.inputSpec())) {
                ComputationGraph trained = split.tail();
                if (resume != null) {
                    restoreTraining(trained, resume, progress);
                }
                TrainingLoop loop = new TrainingLoop(1, trained, s.training().patience(), s.training().batchSize(), s.training().seed(), t.listener);
                if (!progress.finished(s.phase1().epochs())) {
                    try (FeatureSource source = split.source(train, validation, phase1Augmentation(), s.training().batchSize(),
                            cacheDir, fingerprint, 1)) {
                        loop.run(progress, s.phase1().epochs(), train, validation, source,
                                stats -> afterEpoch(stats, trained, phase1, progress, t0));
                    }
                }
                deleteBoundaryCaches();
                loop.restoreBest(progress);
                GraphSurgery.copyMatching(trained, phase1);
            }
            network = phase1;
            phase1Network = phase1;
            phase1Loss = phaseLoss(progress, 1);
            seconds[0] += (System.nanoTime() - t0) / 1e9;
        }

        if (s.phase2().epochs() > 0) {
            long t1 = System.nanoTime();
            PhaseProgress progress = new PhaseProgress();
            boolean resuming = resume != null && resume.state.phase() == 2;
            if (resuming) {
                restoreParams(phase2, resume);
            } else {
                GraphSurgery.copyMatching(network, phase2);
            }
            try (FrozenPrefix split = FrozenPrefix.split(phase2, frozen(unfrozen2), t.base.inputSpec())) {
                ComputationGraph trained = split.tail();
                if (resuming) {
                    restoreTraining(trained, resume, progress);
                }
                TrainingLoop loop = new TrainingLoop(2, trained, s.training().patience(), s.training().batchSize(), s.training().seed(), t.listener);
                if (!progress.finished(s.phase2().epochs())) {
                    try (FeatureSource source = split.source(train, validation, s.augmentation(), s.training().batchSize(),
                            cacheDir, fingerprint, 2)) {
                        loop.run(progress, s.phase2().epochs(), train, validation, source,
                                stats -> afterEpoch(stats, trained, phase2, progress, t1));
                    }
                }
                deleteBoundaryCaches();
                loop.restoreBest(progress);
                GraphSurgery.copyMatching(trained, phase2);
            }
            network = phase2;
            seconds[1] += (System.nanoTime() - t1) / 1e9;
            double phase2Loss = phaseLoss(progress, 2);
            if (phase1Network != null && !Double.isNaN(phase1Loss) && !(phase2Loss <= phase1Loss)) { // NaN counts as worse
                LOG.warn("Phase 2 ended with validation loss {} against {} after phase 1; returning the phase-1 network.",
                        phase2Loss, phase1Loss);
                network = phase1Network;
                phase2Kept = false;
            }
        }

        TrainingHistory trainingHistory = new TrainingHistory(history);
        if (t.outputDir != null) {
            trainingHistory.writeCsv(t.outputDir.resolve("history.csv"));
            trainingHistory.writePng(t.outputDir.resolve("history.png"));
        }
        return new FineTuneResult(model(network), trainingHistory, seconds[0], seconds[1]);
    }

    /**
     * Estimates the peak memory of the phases still to run (null where a phase does not run), logs the estimates and,
     * unless the check is off, refuses a batch size whose estimate exceeds the memory available.
     */
    private void checkMemory(ComputationGraph phase1, ComputationGraph phase2) {
        boolean engine = InferenceEngine.available() && EngineOptions.enabledBySystemProperty();
        int batch = s.training().batchSize();
        List<MemoryBudget> budgets = new ArrayList<>();
        if (phase1 != null) {
            budgets.add(MemoryBudget.of(1, phase1, frozen(unfrozen1), t.base.inputSpec(), engine, cachedImages(phase1Augmentation())));
        }
        if (phase2 != null) {
            budgets.add(MemoryBudget.of(2, phase2, frozen(unfrozen2), t.base.inputSpec(), engine, cachedImages(s.augmentation())));
        }
        MemoryBudget.Available available = t.availableMemory.get();
        for (MemoryBudget b : budgets) {
            LOG.info("Fine-tuning phase {} at batch size {} needs about {} ({}); {} is available ({}){}.", b.phase(), batch,
                    MemoryBudget.size(b.bytes(batch)), b, MemoryBudget.size(available.bytes()), available.source(),
                    t.memoryCheck ? "" : "; the memory check is off");
        }
        memoryBudgets = budgets;
        if (t.memoryCheck) {
            MemoryBudget.check(budgets, batch, available);
        }
    }

    /** @return how many images' frozen-prefix outputs a phase with this augmentation caches */
    private int cachedImages(Augmentation augmentation) {
        return (augmentation.isIdentity() ? train.size() : 0) + (validation == null ? 0 : validation.size());
    }

    /**
     * The frozen base's forward pass up to the cut: the base model's inference engine (ONNX Runtime, the same numbers
     * to float rounding as DL4J's layers, several times faster), or DL4J's own forward pass where the engine is
     * switched off or cannot export the network.
     */
    private UnaryOperator<INDArray> trunk() {
        Optional<InferenceEngine> engine = t.base.engine(s.head().cutLayer());
        if (engine.isPresent()) {
            return engine.get()::output;
        }
        ComputationGraph graph = surgery.trunk(s.head().cutLayer());
        return x -> graph.outputSingle(false, x);
    }

    /**
     * Records an epoch, saves the best model and the checkpoint (the whole phase network's parameters, the trained
     * part's updater state), then tells the listener.
     */
    private void afterEpoch(EpochStats stats, ComputationGraph trained, ComputationGraph network, PhaseProgress progress,
                            long phaseStart) {
        history.add(stats);
        if (t.checkpointDir != null) {
            GraphSurgery.copyMatching(trained, network);
            if (validation != null && stats.validationLoss() < bestRunLoss) {
                bestRunLoss = stats.validationLoss();
                model(network).save(t.checkpointDir.resolve(BEST_MODEL));
            }
            double[] s = seconds.clone();
            s[stats.phase() - 1] += (System.nanoTime() - phaseStart) / 1e9;
            Checkpoint.State state = new Checkpoint.State(fingerprint, stats.phase(), progress.epochsDone, progress.stopped,
                    progress.sinceBest, progress.bestLoss, bestRunLoss, trained.getConfiguration().getIterationCount(),
                    trained.getConfiguration().getEpochCount(), s, List.copyOf(history));
            INDArray updater = trained.getUpdater() == null ? null : trained.getUpdater().getStateViewArray();
            new Checkpoint(state, network.params(), updater, progress.bestParams).write(t.checkpointDir.resolve(LAST_CHECKPOINT));
        }
        t.listener.onEpochEnd(stats);
    }

    /**
     * Deletes the checkpoint directory's cached prefix activations once a phase has finished: no resumed run needs
     * them any more. A failure to delete is logged, not thrown; the training result does not depend on it.
     */
    private void deleteBoundaryCaches() {
        if (cacheDir == null) {
            return;
        }
        try {
            FileTrees.deleteRecursively(cacheDir);
        } catch (IOException e) {
            LOG.warn("Could not delete the cached prefix activations in {}: {}", cacheDir, e.getMessage());
        }
    }

    /**
     * @return the validation loss of the network a phase returns: its best epoch's when early stopping restored one,
     *         else its last epoch's; NaN without validation data
     */
    private double phaseLoss(PhaseProgress progress, int phase) {
        if (validation == null) {
            return Double.NaN;
        }
        if (progress.bestParams != null) {
            return progress.bestLoss;
        }
        return history.stream().filter(s -> s.phase() == phase).reduce((a, b) -> b).map(EpochStats::validationLoss)
                .orElse(Double.NaN);
    }

    private Checkpoint readCheckpoint() {
        if (t.checkpointDir == null) {
            return null;
        }
        Path file = t.checkpointDir.resolve(LAST_CHECKPOINT);
        if (!Files.exists(file)) {
            return null;
        }
        Checkpoint c = Checkpoint.read(file);
        c.requireRun(fingerprint, file);
        LOG.info("Resuming from {}: phase {} after epoch {}.", file, c.state.phase(), c.state.epochsDone());
        return c;
    }

    /** Puts the checkpoint's parameters into a freshly built phase network (before it is split). */
    private void restoreParams(ComputationGraph network, Checkpoint c) {
        Path file = t.checkpointDir.resolve(LAST_CHECKPOINT);
        if (c.params.length() != network.numParams()) {
            throw new CheckpointException("The checkpoint " + file + " holds " + c.params.length() + " parameters, but the phase-"
                    + c.state.phase() + " network has " + network.numParams() + "; delete it to train from the start.");
        }
        network.setParams(c.params.castTo(network.params().dataType()));
    }

    /** Puts the checkpoint's updater state, counters and early-stopping state into the trained part of the network. */
    private void restoreTraining(ComputationGraph trained, Checkpoint c, PhaseProgress progress) {
        Path file = t.checkpointDir.resolve(LAST_CHECKPOINT);
        INDArray state = trained.getUpdater() == null ? null : trained.getUpdater().getStateViewArray();
        long expected = state == null ? 0 : state.length();
        long found = c.updater == null ? 0 : c.updater.length();
        if (expected != found) {
            throw new CheckpointException("The checkpoint " + file + " holds " + found + " updater values, but the phase-"
                    + c.state.phase() + " network needs " + expected + "; delete it to train from the start.");
        }
        if (state != null) {
            trained.getUpdater().setStateViewArray(c.updater.castTo(state.dataType()));
        }
        trained.getConfiguration().setIterationCount(c.state.iterationCount());
        trained.getConfiguration().setEpochCount(c.state.epochCount());
        progress.epochsDone = c.state.epochsDone();
        progress.stopped = c.state.stopped();
        progress.sinceBest = c.state.sinceBest();
        progress.bestLoss = c.state.bestLoss();
        progress.bestParams = c.bestParams;
    }

    /**
     * Builds the network of a phase: the base up to the cut with {@code frozen} frozen, the new head, the trainable
     * base layers' batch normalisation in inference mode (unless opted out) and discriminative learning rates.
     */
    private ComputationGraph network(Set<String> frozen, Set<String> unfrozen, IUpdater updater) {
        ComputationGraph g = surgery.reheaded(s.head().cutLayer(), frozen,
                new FineTuneConfiguration.Builder().updater(updater).seed(s.training().seed()).build(), head);
        Set<String> frozenBn = s.baseLayers().batchNormFrozen() ? surgery.batchNorms(unfrozen) : Set.of();
        g = new GraphSurgery(new GraphSurgery(g).withoutNoOpDropout()).withFrozenBatchNorm(frozenBn);
        return new GraphSurgery(g).withUpdaters(layerUpdaters(unfrozen, frozenBn, updater));
    }

    /** The per-layer updaters of discriminative learning rates: block depth k (0 next to the cut) gets lr * factor^(k+1). */
    Map<String, IUpdater> layerUpdaters(Set<String> unfrozen, Set<String> frozenBn, IUpdater updater) {
        Map<String, IUpdater> out = new LinkedHashMap<>();
        if (s.baseLayers().discriminativeFactor() == 1) {
            return out;
        }
        double lr = updater.getLearningRate(0, 0);
        for (String layer : unfrozen) {
            if (frozenBn.contains(layer) || t.base.graph().getLayer(layer).numParams() == 0) {
                continue;
            }
            IUpdater u = updater.clone();
            u.setLrAndSchedule(lr * Math.pow(s.baseLayers().discriminativeFactor(), blocks.depth(layer) + 1), null);
            out.put(layer, u);
        }
        return out;
    }

    private Augmentation phase1Augmentation() {
        return s.augmentPhase1() ? s.augmentation() : Augmentation.none();
    }

    private IUpdater phase2Updater() {
        return s.phase2().updater() == FineTuner.Phase2Updater.ADAM ? new Adam(s.phase2().learningRate()) : new Nesterovs(s.phase2().learningRate(), 0.9);
    }

    private List<GraphSurgery.HeadLayer> headLayers() {
        List<GraphSurgery.HeadLayer> out = new ArrayList<>();
        String input = s.head().cutLayer();
        long nIn;
        if (cutShape.length == 4) {
            boolean nhwc = t.base.inputSpec().format() == dev.transferkit.image.DataFormat.NHWC;
            // Pool over the spatial axes of the base's layout (DL4J's default assumes NCHW).
            out.add(new GraphSurgery.HeadLayer(FineTuner.POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG)
                    .poolingDimensions(nhwc ? new int[]{1, 2} : new int[]{2, 3}).build(), input));
            input = FineTuner.POOL;
            nIn = nhwc ? cutShape[3] : cutShape[1];
        } else if (cutShape.length == 2) {
            nIn = cutShape[1];
        } else {
            throw new TransferKitException("The cut layer '" + s.head().cutLayer() + "' of '" + t.base.name() + "' has activations of shape "
                    + Arrays.toString(cutShape) + "; cut at a convolutional (rank 4) or dense (rank 2) layer.");
        }
        for (int i = 0; i < s.head().denseSizes().size(); i++) {
            DenseLayer.Builder d = new DenseLayer.Builder().nIn(nIn).nOut(s.head().denseSizes().get(i)).activation(s.head().activation());
            if (i > 0 && s.head().dropout() > 0) {
                d.dropOut(1 - s.head().dropout());
            }
            out.add(new GraphSurgery.HeadLayer(FineTuner.DENSE + i, d.build(), input));
            input = FineTuner.DENSE + i;
            nIn = s.head().denseSizes().get(i);
        }
        OutputLayer.Builder o = new OutputLayer.Builder(new LossMCXENT(Nd4j.createFromArray(weights).castTo(DataType.FLOAT)))
                .nIn(nIn).nOut(labels.size()).activation(org.nd4j.linalg.activations.Activation.SOFTMAX);
        if (s.head().denseSizes().size() > 0 && s.head().dropout() > 0) {
            o.dropOut(1 - s.head().dropout()); // DL4J's dropOut takes the retain probability and applies to the layer's input
        }
        out.add(new GraphSurgery.HeadLayer(FineTuner.OUTPUT, o.build(), input));
        return out;
    }


    private TransferModel model(ComputationGraph network) {
        Map<String, String> provenance = provenance();
        BaseModel tuned = BaseModel.builder().setName(t.base.name() + "-finetuned").setGraph(network)
                .setInputSpec(t.base.inputSpec()).setPreprocessing(t.base.preprocessing())
                .optFeatureLayers(List.of(cutShape.length == 4 ? FineTuner.POOL : s.head().cutLayer())).optLabels(labels)
                .optProvenance(provenance).build();
        return TransferModel.ofNetwork(tuned, s.imageOptions(), provenance);
    }

    private Map<String, String> provenance() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("method", "fine-tuning");
        p.put("base.model", t.base.name());
        t.base.provenance().forEach((k, v) -> p.put("base." + k, v));
        p.put("data", data.root().toString());
        p.put("train.split", trainSplit);
        p.put("validation.split", validationSplit != null ? validationSplit
                : validation != null ? "hold-out " + s.training().validationHoldout() + " of " + trainSplit + " (" + validation.size() + " images)" : "none");
        p.put("cut.layer", s.head().cutLayer());
        p.put("head.dense", s.head().denseSizes().toString());
        p.put("head.activation", s.head().activation().name());
        p.put("head.dropout", Double.toString(s.head().dropout()));
        p.put("phase1.epochs", Integer.toString(s.phase1().epochs()));
        p.put("phase1.learningRate", Double.toString(s.phase1().learningRate()));
        p.put("phase1.updater", "ADAM");
        p.put("phase1.frozen", String.join(",", frozen(unfrozen1)));
        if (!unfrozen1.isEmpty() && s.baseLayers().batchNormFrozen()) {
            p.put("phase1.batchNormInferenceMode", String.join(",", surgery.batchNorms(unfrozen1)));
        }
        p.put("phase2.epochs", Integer.toString(s.phase2().epochs()));
        if (s.phase2().epochs() > 0) {
            p.put("phase2.unfreezeFrom", t.unfreezeFrom);
            p.put("phase2.learningRate", Double.toString(s.phase2().learningRate()));
            p.put("phase2.updater", s.phase2().updater().name());
            p.put("phase2.frozen", String.join(",", frozen(unfrozen2)));
            p.put("phase2.batchNormInferenceMode", s.baseLayers().batchNormFrozen() ? String.join(",", surgery.batchNorms(unfrozen2)) : "");
            p.put("phase2.kept", Boolean.toString(phase2Kept));
        }
        if (s.baseLayers().discriminativeFactor() != 1) {
            p.put("discriminativeLr.factor", Double.toString(s.baseLayers().discriminativeFactor()));
            p.put("blocks", String.join(",", blocks.names()));
        }
        p.put("batchSize", Integer.toString(s.training().batchSize()));
        p.put("seed", Long.toString(s.training().seed()));
        p.put("augmentation", s.augmentation().toString());
        p.put("imageOptions", s.imageOptions().toString());
        p.put("augmentation.phase1", Boolean.toString(s.augmentPhase1()));
        p.put("classWeights", s.training().classWeights().toString());
        p.put("earlyStopping.patience", Integer.toString(s.training().patience()));
        return p;
    }

    @Override
    public String toString() {
        return "FineTuneRun(" + t + " on " + data.root() + ")";
    }
}
