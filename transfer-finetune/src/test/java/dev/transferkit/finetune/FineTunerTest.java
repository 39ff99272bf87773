package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FineTunerTest {
    @TempDir
    static Path tmp;
    static ImageFolder data;

    @BeforeAll
    static void makeData() throws Exception {
        data = ImageFolder.open(TestData.redBlue(tmp.resolve("data"), 16, 6));
    }

    private static float[] params(ComputationGraph g, String layer) {
        return g.getLayer(layer).params().dup().data().asFloat();
    }

    private static FineTuner.Builder tuner(BaseModel base) {
        return FineTuner.builder().setBaseModel(base).optHead(new int[]{8}, 0.2).optBatchSize(8).optSeed(5);
    }

    @Test
    void phase1TrainsOnlyTheHeadAndPhase2OnlyTheUnfrozenLayers() {
        BaseModel base = TestData.tinyModel();
        Map<String, float[]> before = new java.util.HashMap<>();
        for (String l : List.of("c1", "bn1", "c2", "bn2")) {
            before.put(l, params(base.graph(), l));
        }
        // Phase 1 only.
        FineTuneResult r1 = tuner(base).optPhase1(3, 1e-2).build().fit(data, "train", "validation");
        ComputationGraph g1 = r1.model().baseModel().graph();
        for (String l : List.of("c1", "bn1", "c2", "bn2")) {
            assertArrayEquals(before.get(l), params(g1, l), "phase 1 changed frozen layer " + l);
        }
        assertEquals(3, r1.history().phase(1).size());
        assertTrue(r1.history().phase(2).isEmpty());

        // Both phases, unfreezing from c2; bn2 stays in inference mode.
        FineTuneResult r2 = tuner(base).optPhase1(2, 1e-2).optPhase2(3, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "validation");
        ComputationGraph g2 = r2.model().baseModel().graph();
        assertArrayEquals(before.get("c1"), params(g2, "c1"));
        assertArrayEquals(before.get("bn1"), params(g2, "bn1"));
        // bn2 runs as its inference-mode fold: w = gamma / sqrt(var + eps), b = beta - mean * w, unchanged by training.
        INDArray gamma = base.graph().getLayer("bn2").getParam("gamma");
        INDArray beta = base.graph().getLayer("bn2").getParam("beta");
        INDArray mean = base.graph().getLayer("bn2").getParam("mean");
        INDArray logStd = base.graph().getLayer("bn2").getParam("log10stdev"); // DL4J's default useLogStd
        INDArray var = base.graph().getLayer("bn2").getParam("var");
        double eps = ((org.deeplearning4j.nn.conf.layers.BatchNormalization) base.graph().getLayer("bn2").conf().getLayer()).getEps();
        INDArray fw = g2.getLayer("bn2").getParam("W");
        INDArray fb = g2.getLayer("bn2").getParam("b");
        for (int ch = 0; ch < 8; ch++) {
            double std = var != null ? Math.sqrt(var.getDouble(ch) + eps) : Math.pow(10, logStd.getDouble(ch));
            double w = gamma.getDouble(ch) / std;
            assertEquals(w, fw.getDouble(0, 0, ch, 0), 1e-5, "scale of channel " + ch); // depthwise [1, 1, channels, 1]
            assertEquals(beta.getDouble(ch) - mean.getDouble(ch) * w, fb.getDouble(ch), 1e-5, "shift of channel " + ch);
        }
        assertFalse(java.util.Arrays.equals(before.get("c2"), params(g2, "c2")), "the unfrozen layer c2 did not change");
        assertEquals(3, r2.history().phase(2).size());
        // The base model itself is untouched.
        for (String l : List.of("c1", "bn1", "c2", "bn2")) {
            assertArrayEquals(before.get(l), params(base.graph(), l), "the base model was modified: " + l);
        }
        Map<String, String> p = r2.model().provenance();
        assertEquals("c1,bn1", p.get("phase2.frozen"));
        assertEquals("bn2", p.get("phase2.batchNormInferenceMode"));
        assertEquals("c1,bn1,c2,bn2", p.get("phase1.frozen"));
        assertEquals("0.001", p.get("phase2.learningRate"));
    }

    @Test
    void phase2LearningRateIsTheLoweredOne() {
        FineTuneResult r = tuner(TestData.tinyModel()).optPhase1(1, 1e-2).optPhase2(1, "c2", 3e-5, FineTuner.Phase2Updater.SGD_MOMENTUM)
                .build().fit(data, "train", "validation");
        ComputationGraph g = r.model().baseModel().graph();
        for (String layer : List.of("c2", FineTuner.OUTPUT, FineTuner.DENSE + 0)) {
            var conf = g.getLayer(layer).conf().getLayer();
            assertTrue(conf instanceof BaseLayer, layer + " is " + conf.getClass());
            var updater = ((BaseLayer) conf).getIUpdater();
            assertTrue(updater instanceof org.nd4j.linalg.learning.config.Nesterovs, layer + ": " + updater);
            assertEquals(3e-5, updater.getLearningRate(0, 0), 1e-12, layer);
        }
    }

    @Test
    void batchNormRunsInInferenceModeWhenUnfrozen() {
        // With optBatchNormFrozen(false) the unfrozen bn2 is trained normally, so its statistics move.
        BaseModel base = TestData.tinyModel();
        float[] bn2 = params(base.graph(), "bn2");
        FineTuneResult r = tuner(base).optPhase1(1, 1e-2).optPhase2(2, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .optBatchNormFrozen(false).build().fit(data, "train", "validation");
        assertFalse(java.util.Arrays.equals(bn2, params(r.model().baseModel().graph(), "bn2")));
    }

    @Test
    void historyFilesHoldTheReturnedNumbersAndValidationIsNotAugmented() throws Exception {
        Path out = tmp.resolve("out");
        Augmentation strong = Augmentation.builder().optBrightness(0.2, 0.4).optRotation(40).optHorizontalFlip(true).build();
        FineTuneResult r = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optPhase2(1, "c2", 1e-4, FineTuner.Phase2Updater.ADAM)
                .optAugmentation(strong).optOutputDir(out).build().fit(data, "train", "validation");
        assertTrue(Files.size(out.resolve("history.png")) > 1000);
        TrainingHistory read = TrainingHistory.readCsv(out.resolve("history.csv"));
        assertEquals(r.history().epochs().size(), read.epochs().size());
        for (int i = 0; i < read.epochs().size(); i++) {
            EpochStats a = r.history().epochs().get(i);
            EpochStats b = read.epochs().get(i);
            assertEquals(a.trainLoss(), b.trainLoss(), 0);
            assertEquals(a.validationLoss(), b.validationLoss(), 0);
            assertEquals(a.validationAccuracy(), b.validationAccuracy(), 0);
            assertEquals(a.trainAccuracy(), b.trainAccuracy(), 0);
        }
        // The last recorded validation loss equals the final network's loss on the plain pipeline output.
        BaseModel tuned = r.model().baseModel();
        List<LabeledImage> val = data.images("validation");
        var pipe = tuned.pipeline(ImageOptions.defaults());
        List<INDArray> xs = new ArrayList<>();
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, val.size(), 2);
        for (int i = 0; i < val.size(); i++) {
            xs.add(pipe.load(val.get(i).path()));
            y.putScalar(i, tuned.labels().indexOf(val.get(i).label()), 1f);
        }
        INDArray x = Nd4j.concat(0, xs.toArray(INDArray[]::new));
        EpochStats last = r.history().epochs().get(r.history().epochs().size() - 1);
        // Batches of 8 are scored separately and averaged; the loss is a per-example mean, so the totals agree.
        assertEquals(tuned.graph().score(new DataSet(x, y), false), last.validationLoss(), 1e-4);
    }

    @Test
    void augmentedRunsAreDeterministicForASeed() {
        Augmentation aug = Augmentation.builder().optRotation(20).optHorizontalFlip(true).build();
        FineTuner t = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optAugmentation(aug).build();
        FineTuneResult a = t.fit(data, "train", "validation");
        FineTuneResult b = t.fit(data, "train", "validation");
        assertEquals(a.history().epochs().get(1).trainLoss(), b.history().epochs().get(1).trainLoss(), 0);
        FineTuneResult c = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optAugmentation(aug).optSeed(99).build()
                .fit(data, "train", "validation");
        assertNotEquals(a.history().epochs().get(1).trainLoss(), c.history().epochs().get(1).trainLoss());
    }

    @Test
    void earlyStoppingStops() {
        // A huge learning rate makes the validation loss stop improving quickly.
        FineTuneResult r = tuner(TestData.tinyModel()).optPhase1(30, 5.0).optEarlyStopping(2).build().fit(data, "train", "validation");
        List<EpochStats> e = r.history().phase(1);
        assertTrue(e.size() < 30, "ran " + e.size() + " epochs");
        double best = e.stream().mapToDouble(EpochStats::validationLoss).min().orElseThrow();
        int bestAt = 0;
        for (int i = 0; i < e.size(); i++) {
            if (e.get(i).validationLoss() == best) {
                bestAt = i;
                break;
            }
        }
        assertEquals(e.size() - 1 - 2, bestAt, "stopped patience epochs after the best");
        assertEquals(best, TestData.validationLoss(r.model().baseModel(), data), 1e-4, "the best epoch's parameters were restored");
    }

    private static double learningRate(ComputationGraph g, String layer) {
        var conf = g.getLayer(layer).conf().getLayer();
        assertTrue(conf instanceof BaseLayer, layer + " is " + conf.getClass());
        double w = ((BaseLayer) conf).getIUpdater().getLearningRate(0, 0);
        var bias = ((BaseLayer) conf).getBiasUpdater();
        if (bias != null) {
            assertEquals(w, bias.getLearningRate(0, 0), 1e-15, "bias learning rate of " + layer);
        }
        return w;
    }

    /** Blocks of the tiny model by the digit in the layer name: block 1 = c1, bn1; block 2 = c2, bn2. */
    private static final String DIGIT_BLOCKS = "[a-z]+(\\d)";

    @Test
    void discriminativeLearningRatesShrinkPerBlockBelowTheHead() {
        FineTuneResult r = tuner(TestData.tinyModel()).optBlockPattern(DIGIT_BLOCKS).optPhase1(1, 1e-2)
                .optPhase2(1, 2, 1e-3, FineTuner.Phase2Updater.SGD_MOMENTUM).optDiscriminativeLr(0.1).optBatchNormFrozen(false)
                .build().fit(data, "train", "validation");
        ComputationGraph g = r.model().baseModel().graph();
        assertEquals(1e-3, learningRate(g, FineTuner.OUTPUT), 1e-15);
        assertEquals(1e-3, learningRate(g, FineTuner.DENSE + 0), 1e-15);
        assertEquals(1e-4, learningRate(g, "c2"), 1e-15);
        assertEquals(1e-4, learningRate(g, "bn2"), 1e-15);
        assertEquals(1e-5, learningRate(g, "c1"), 1e-15);
        assertEquals(1e-5, learningRate(g, "bn1"), 1e-15);
        assertTrue(((BaseLayer) g.getLayer("c1").conf().getLayer()).getIUpdater() instanceof org.nd4j.linalg.learning.config.Nesterovs);
        assertEquals("c1", r.model().provenance().get("phase2.unfreezeFrom"));
        assertEquals("", r.model().provenance().get("phase2.frozen"));
        assertEquals("0.1", r.model().provenance().get("discriminativeLr.factor"));

        // With batch normalisation in inference mode its fixed scale and shift keep learning rate 0.
        FineTuneResult frozenBn = tuner(TestData.tinyModel()).optBlockPattern(DIGIT_BLOCKS).optPhase1(1, 1e-2)
                .optPhase2(1, 1, 1e-3, FineTuner.Phase2Updater.ADAM).optDiscriminativeLr(0.5).build().fit(data, "train", "validation");
        ComputationGraph f = frozenBn.model().baseModel().graph();
        assertEquals(5e-4, learningRate(f, "c2"), 1e-15);
        assertEquals(0.0, learningRate(f, "bn2"), 0);
        assertEquals("c2", frozenBn.model().provenance().get("phase2.unfreezeFrom"));
        assertEquals("c1,bn1", frozenBn.model().provenance().get("phase2.frozen"));
    }

    @Test
    void trainableFromTrainsThatLayerInPhase1AndKeepsTheRestFrozen() {
        BaseModel base = TestData.tinyModel();
        float[] c1 = params(base.graph(), "c1");
        float[] bn1 = params(base.graph(), "bn1");
        float[] c2 = params(base.graph(), "c2");
        for (FineTuner.Builder b : List.of(tuner(base).optTrainableFrom("c2"),
                tuner(base).optBlockPattern(DIGIT_BLOCKS).optTrainableBlocks(1))) {
            FineTuneResult r = b.optPhase1(2, 1e-2).build().fit(data, "train", "validation");
            ComputationGraph g = r.model().baseModel().graph();
            assertArrayEquals(c1, params(g, "c1"));
            assertArrayEquals(bn1, params(g, "bn1"));
            assertFalse(java.util.Arrays.equals(c2, params(g, "c2")), "c2 was trained in phase 1");
            assertEquals("c1,bn1", r.model().provenance().get("phase1.frozen"));
            assertEquals("bn2", r.model().provenance().get("phase1.batchNormInferenceMode"));
            assertEquals(0.0, learningRate(g, "bn2"), 0);
            // The fine-tuned network runs entirely in ONNX Runtime: the stand-in is exported as a channel scale.
            assertTrue(entryDetail(g, base, "bn2").contains("1 ONNX node") || entryDetail(g, base, "bn2").contains("2 ONNX node"),
                    entryDetail(g, base, "bn2"));
            String out = g.getConfiguration().getNetworkOutputs().get(0);
            try (InferenceEngine engine = InferenceEngine.compile(g, out, base.inputSpec(), EngineOptions.defaults())) {
                assertTrue(engine.report().fullyExported(), engine.report().toString());
                INDArray x = Nd4j.rand(base.inputSpec().batchShape(3));
                INDArray expected = g.outputSingle(false, x);
                INDArray actual = engine.output(x);
                assertTrue(expected.equalsWithEps(actual, 1e-4), expected + " vs " + actual);
            }
        }
    }

    @Test
    void withoutAValidationSplitATenPercentHoldOutSelectsTheEpochs() {
        FineTuneResult r = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).build().fit(data, "train", null);
        assertTrue(r.history().epochs().stream().allMatch(s -> !Double.isNaN(s.validationLoss())), r.history().toString());
        assertTrue(r.model().provenance().get("validation.split").startsWith("hold-out 0.1 of train (4 images)"),
                r.model().provenance().get("validation.split"));
        FineTuneResult none = tuner(TestData.tinyModel()).optPhase1(1, 1e-2).optValidationHoldout(0).build().fit(data, "train", null);
        assertTrue(Double.isNaN(none.history().epochs().get(0).validationLoss()));
        assertEquals("none", none.model().provenance().get("validation.split"));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optValidationHoldout(0.6));
    }

    @Test
    void aPhase2ThatEndsWorseOnValidationThanPhase1IsDiscarded() {
        FineTuneResult r = tuner(TestData.tinyModel()).optPhase1(3, 1e-2)
                .optPhase2(2, "c1", 50.0, FineTuner.Phase2Updater.SGD_MOMENTUM).optBatchNormFrozen(false)
                .build().fit(data, "train", "validation");
        List<EpochStats> p1 = r.history().phase(1);
        List<EpochStats> p2 = r.history().phase(2);
        // Each phase returns its best epoch on validation.
        double phase1Loss = p1.stream().mapToDouble(EpochStats::validationLoss).min().orElseThrow();
        double phase2Loss = p2.stream().mapToDouble(EpochStats::validationLoss).filter(d -> !Double.isNaN(d)).min()
                .orElse(Double.NaN);
        assertTrue(!(phase2Loss <= phase1Loss), "phase 2 was meant to diverge: " + phase1Loss + " -> " + phase2Loss);
        assertEquals("false", r.model().provenance().get("phase2.kept"));
        assertEquals(phase1Loss, TestData.validationLoss(r.model().baseModel(), data), 1e-4);
    }

    /** @return what the inference engine made of a vertex of a fine-tuned network */
    private static String entryDetail(ComputationGraph g, BaseModel base, String vertex) {
        try (InferenceEngine engine = InferenceEngine.compile(g, g.getConfiguration().getNetworkOutputs().get(0),
                base.inputSpec(), EngineOptions.defaults())) {
            return engine.report().entries().stream().filter(e -> e.vertex().equals(vertex)).findFirst().orElseThrow().toString();
        }
    }

    @Test
    void foldedBatchNormComputesWhatInferenceModeBatchNormComputesInBothLayouts() {
        for (dev.transferkit.image.DataFormat format : dev.transferkit.image.DataFormat.values()) {
            BaseModel base = TestData.tinyModel(format);
            ComputationGraph folded = new GraphSurgery(base.graph()).withFrozenBatchNorm(java.util.Set.of("bn1", "bn2"));
            INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, base.inputSpec().batchShape(3));
            INDArray expected = base.graph().outputSingle(false, x);
            INDArray actual = folded.outputSingle(false, x);
            assertEquals(0, expected.sub(actual).amax().getDouble(0), 1e-4, format + ": " + expected + " vs " + actual);
        }
    }

    @Test
    void nhwcBaseFineTunesAndPredictsLikeItsNetwork() throws Exception {
        BaseModel base = TestData.tinyModel(dev.transferkit.image.DataFormat.NHWC);
        float[] c1 = params(base.graph(), "c1");
        FineTuneResult r = tuner(base).optPhase1(2, 1e-2).optPhase2(1, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "validation");
        assertArrayEquals(c1, params(r.model().baseModel().graph(), "c1"));
        assertEquals(r.history().epochs().get(2).validationLoss(), TestData.validationLoss(r.model().baseModel(), data), 1e-4);
        checkSavedModel(r);
    }

    @Test
    void augmentationCanBeLimitedToPhase2SoPhase1UsesCachedActivations() {
        Augmentation strong = Augmentation.builder().optRotation(40).optHorizontalFlip(true).optBrightness(0.5, 1.5).build();
        FineTuneResult plain = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optPhase2(1, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "validation");
        FineTuneResult phase2Only = tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optPhase2(1, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .optAugmentation(strong, false).build().fit(data, "train", "validation");
        assertEquals(plain.history().phase(1).get(1).trainLoss(), phase2Only.history().phase(1).get(1).trainLoss(), 0);
        assertNotEquals(plain.history().phase(2).get(0).trainLoss(), phase2Only.history().phase(2).get(0).trainLoss());
        assertEquals("false", phase2Only.model().provenance().get("augmentation.phase1"));
    }

    @Test
    void headActivationIsConfigurable() {
        FineTuneResult r = tuner(TestData.tinyModel()).optHeadActivation(org.nd4j.linalg.activations.Activation.TANH)
                .optPhase1(1, 1e-2).build().fit(data, "train", "validation");
        var dense = (org.deeplearning4j.nn.conf.layers.DenseLayer) r.model().baseModel().graph().getLayer(FineTuner.DENSE + 0).conf().getLayer();
        assertTrue(dense.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationTanH, dense.getActivationFn().toString());
        assertEquals("TANH", r.model().provenance().get("head.activation"));
    }

    @Test
    void oneCallFineTuneUsesTrainAndValidationSplits() {
        BaseModel base = TestData.tinyModel();
        float[] c2 = params(base.graph(), "c2");
        FineTuneResult r = tuner(base).build().fineTune(data, 2);
        assertEquals(2, r.history().phase(1).size());
        assertTrue(r.history().phase(2).isEmpty());
        assertFalse(Double.isNaN(r.history().epochs().get(1).validationLoss()), "validated on the validation split");
        assertEquals(r.history().epochs().get(1).validationLoss(), TestData.validationLoss(r.model().baseModel(), data), 1e-4);
        assertArrayEquals(c2, params(r.model().baseModel().graph(), "c2"));
        assertEquals("validation", r.model().provenance().get("validation.split"));
    }

    @Test
    void savedModelPredictsLikeTheNetwork() throws Exception {
        checkSavedModel(tuner(TestData.tinyModel()).optPhase1(2, 1e-2).build().fit(data, "train", "validation"));
    }

    @Test
    void savedPhase2ModelPredictsLikeTheNetwork() throws Exception {
        checkSavedModel(tuner(TestData.tinyModel()).optPhase1(2, 1e-2).optPhase2(1, "c2", 1e-4, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "validation"));
    }

    private static void checkSavedModel(FineTuneResult r) throws Exception {
        Path file = tmp.resolve("tuned.zip");
        r.model().save(file);
        TransferModel loaded = TransferModel.load(file);
        assertEquals(List.of("blue", "red"), loaded.labels());
        for (LabeledImage li : data.images("validation")) {
            INDArray x = r.model().baseModel().pipeline(ImageOptions.defaults()).load(li.path());
            INDArray expected = r.model().baseModel().graph().outputSingle(false, x);
            var c = loaded.predict(li.path());
            int top = expected.argMax(1).getInt(0);
            assertEquals(loaded.labels().get(top), c.label());
            assertEquals(expected.getDouble(0, top), c.score(), 1e-5);
        }
    }

    @Test
    void invalidSettingsAreRejected() {
        BaseModel base = TestData.tinyModel();
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> FineTuner.builder().build());
        TransferKitException e = assertThrows(TransferKitException.class,
                () -> FineTuner.builder().setBaseModel(base).optCutLayer("nope").build());
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        e = assertThrows(TransferKitException.class, () -> FineTuner.builder().setBaseModel(base).optCutLayer("c2")
                .optPhase2(1, "bn2", 1e-5, FineTuner.Phase2Updater.ADAM).build());
        assertTrue(e.getMessage().contains("'bn2'") && e.getMessage().contains("'c2'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optPhase1(0, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optPhase2(1, "c2", -1, FineTuner.Phase2Updater.ADAM));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optHead(new int[]{0}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optHead(new int[]{4}, 1.0));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optBatchSize(0));
        e = assertThrows(TransferKitException.class, () -> tuner(base).optEarlyStopping(2).optValidationHoldout(0).build()
                .fit(data, "train", null));
        assertTrue(e.getMessage().contains("validation split"), e.getMessage());
        assertThrows(TransferKitException.class, () -> tuner(base).build().fit(data, "test", "validation"));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optTrainableBlocks(0));
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optPhase2(1, 0, 1e-5, FineTuner.Phase2Updater.ADAM));
        IllegalArgumentException ia = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optBlockPattern("block_\\d+"));
        assertTrue(ia.getMessage().contains("'block_\\d+'") && ia.getMessage().contains("capturing group"), ia.getMessage());
        ia = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optBlockPattern("(block"));
        assertTrue(ia.getMessage().contains("'(block'"), ia.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optDiscriminativeLr(0));
        ia = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optDiscriminativeLr(1.5));
        assertTrue(ia.getMessage().contains("1.5"), ia.getMessage());
        e = assertThrows(TransferKitException.class, () -> tuner(base).optBlockPattern(DIGIT_BLOCKS).optTrainableBlocks(3).build());
        assertTrue(e.getMessage().contains("2 blocks [1, 2]"), e.getMessage());
    }
}
