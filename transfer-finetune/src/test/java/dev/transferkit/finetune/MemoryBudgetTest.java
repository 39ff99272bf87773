package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.model.BaseModel;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory estimate of a fine-tuning phase and the check that refuses a batch size that does not fit. */
class MemoryBudgetTest {
    @TempDir
    static Path tmp;
    static ImageFolder data;

    @BeforeAll
    static void makeData() throws Exception {
        data = ImageFolder.open(TestData.redBlue(tmp.resolve("data"), 16, 6));
    }

    /** Both phases, phase 2 from c2, with the given batch size and a simulated machine of {@code available} bytes. */
    private static FineTuner.Builder tuner(int batchSize, long available) {
        return FineTuner.builder().setBaseModel(TestData.tinyModel()).optHead(new int[]{8}, 0.2).optBatchSize(batchSize)
                .optSeed(5).optPhase1(1, 1e-2).optPhase2(1, "c2", 1e-3, FineTuner.Phase2Updater.ADAM)
                .availableMemory(() -> new MemoryBudget.Available(available, "a test limit"));
    }

    @Test
    void aBatchSizeThatDoesNotFitIsRefusedBeforeTrainingNamingOneThatFits() {
        FineTuneRun unlimited = new FineTuneRun(tuner(16, Long.MAX_VALUE).build(), data, "train", "validation");
        unlimited.run();
        List<MemoryBudget> budgets = unlimited.memoryBudgets;
        assertEquals(List.of(1, 2), budgets.stream().map(MemoryBudget::phase).toList());
        // A machine on which batch 4 just fits the hungrier phase.
        long limit = budgets.stream().mapToLong(b -> b.bytes(4)).max().orElseThrow();
        int fits = budgets.stream().mapToInt(b -> b.largestBatchSize(limit)).min().orElseThrow();
        assertEquals(4, fits);

        List<EpochStats> epochs = new ArrayList<>();
        FineTuneListener listener = new FineTuneListener() {
            @Override
            public void onEpochEnd(EpochStats stats) {
                epochs.add(stats);
            }
        };
        Path out = tmp.resolve("refused");
        TransferKitException e = assertThrows(TransferKitException.class, () -> tuner(16, limit).optListener(listener)
                .optOutputDir(out).build().fit(data, "train", "validation"));
        String m = e.getMessage();
        assertTrue(m.startsWith("Fine-tuning phase ") && m.contains(" at batch size 16 needs about ")
                && m.contains("is available (a test limit); batch size 4 fits. Lower optBatchSize (--batch-size)")
                && m.contains("optMemoryCheck(false)"), m);
        assertTrue(epochs.isEmpty(), "nothing trained before the refusal: " + epochs);
        assertFalse(Files.exists(out.resolve("history.csv")));

        FineTuneResult r = tuner(fits, limit).optListener(listener).build().fit(data, "train", "validation");
        assertEquals(1, r.history().phase(2).size(), "the suggested batch size passes the check and trains both phases");
    }

    @Test
    void whenNotEvenOneImageFitsTheMessageSaysWhatToChange() {
        TransferKitException e = assertThrows(TransferKitException.class,
                () -> tuner(8, 100L << 20).build().fit(data, "train", "validation"));
        assertTrue(e.getMessage().contains("even at batch size 1, but 100 MB is available (a test limit); train fewer layers"),
                e.getMessage());
    }

    @Test
    void theCheckCanBeSwitchedOff() {
        FineTuner tuner = tuner(8, 1).optMemoryCheck(false).build();
        assertFalse(tuner.toBuilder().build().memoryCheck, "toBuilder keeps the switch");
        assertTrue(tuner.toString().contains("memory check off"), tuner.toString());
        assertEquals(1, tuner.fit(data, "train", "validation").history().phase(2).size());
    }

    @Test
    void theEstimateGrowsWithTheBatchSizeAndTheUnfrozenBlocks() {
        ComputationGraph net = blockNetwork();
        InputSpec spec = new InputSpec(32, 32, 3, DataFormat.NCHW);
        GraphSurgery surgery = new GraphSurgery(net);
        List<String> layers = new ArrayList<>(surgery.layersAmong(surgery.ancestors("block_3_bn")));
        LayerBlocks blocks = new LayerBlocks(layers, Pattern.compile(FineTuner.DEFAULT_BLOCK_PATTERN));
        assertEquals(List.of("stem", "block_1", "block_2", "block_3"), blocks.names());
        long previous = 0;
        for (int n = 0; n <= 3; n++) {
            int firstTrained = n == 0 ? layers.size() : layers.indexOf(blocks.firstLayerOfTop(n, "blocks"));
            Set<String> frozen = new LinkedHashSet<>(layers.subList(0, firstTrained));
            MemoryBudget b = MemoryBudget.of(2, net, frozen, spec, true, 0);
            assertTrue(b.bytes(1) < b.bytes(8) && b.bytes(8) < b.bytes(32), "grows with the batch size: " + b);
            assertTrue(b.bytes(8) > previous, n + " unfrozen blocks: " + b.bytes(8) + " bytes, not more than " + previous);
            assertEquals(8, b.largestBatchSize(b.bytes(8)));
            assertEquals(7, b.largestBatchSize(b.bytes(8) - 1));
            previous = b.bytes(8);
        }
    }

    @Test
    void shapeInferenceGivesTheActivationSizesOfAForwardPassAndDl4jReportsTheNetworks() {
        for (DataFormat format : DataFormat.values()) {
            BaseModel model = TestData.tinyModel(format);
            Map<String, Long> inferred = MemoryBudget.activationElements(model.graph(), model.inputSpec());
            Map<String, Long> forward = MemoryBudget.forwardElements(model.graph(), model.inputSpec());
            assertEquals(forward, inferred, format.toString());
            assertNotNull(MemoryBudget.memoryReport(model.graph(), model.inputSpec()), format.toString());
        }
        // A phase network as fine-tuning builds it: batch normalisation folded, the new head.
        BaseModel tuned = tuner(8, Long.MAX_VALUE).optPhase1(1, 1e-2).build().fit(data, "train", "validation").model().baseModel();
        assertEquals(MemoryBudget.forwardElements(tuned.graph(), tuned.inputSpec()),
                MemoryBudget.activationElements(tuned.graph(), tuned.inputSpec()));
        assertNotNull(MemoryBudget.memoryReport(tuned.graph(), tuned.inputSpec()));
    }

    @Test
    void theAvailableMemoryIsTheFreeMemoryAtMostJavacppsLimit() throws Exception {
        Path meminfo = Files.writeString(tmp.resolve("meminfo"), "MemTotal:       8000000 kB\nMemFree:  100 kB\nMemAvailable:    2048 kB\n");
        assertEquals(2048L * 1024, MemoryBudget.memAvailable(meminfo));
        assertNull(MemoryBudget.memAvailable(tmp.resolve("missing")));
        MemoryBudget.Available a = MemoryBudget.available();
        assertTrue(a.bytes() > 0, a.toString());
        if (Pointer.maxPhysicalBytes() > 0) {
            assertTrue(a.bytes() <= Pointer.maxPhysicalBytes(), a.toString());
        }
        assertEquals("700 MB", MemoryBudget.size(700L << 20));
        assertEquals("7.6 GB", MemoryBudget.size((long) (7.6 * (1L << 30))));
    }

    /** in → stem → three blocks of convolution and batch normalisation → pooling → output, 32x32 NCHW. */
    private static ComputationGraph blockNetwork() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(32, 32, 3))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build(), "in");
        String last = "stem";
        for (int i = 1; i <= 3; i++) {
            g.addLayer("block_" + i + "_conv", new ConvolutionLayer.Builder(3, 3).nOut(8 * (i + 1)).activation(Activation.RELU).build(), last)
                    .addLayer("block_" + i + "_bn", new BatchNormalization.Builder().build(), "block_" + i + "_conv");
            last = "block_" + i + "_bn";
        }
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last)
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
