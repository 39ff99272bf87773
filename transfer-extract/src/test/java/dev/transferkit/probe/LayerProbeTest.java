package dev.transferkit.probe;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.extract.Pooling;
import dev.transferkit.extract.TestImages;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerProbeTest {
    private static final BaseModel MODEL = TinyNetworks.baseModel(List.of("a", "b", "c"));
    private static final ExtractionSettings SETTINGS = ExtractionSettings.builder().setModel(MODEL).build();

    @Test
    void everyCandidateIsScoredFromOnePassAndTheBestWins(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 8, 3);
        ImageFolder data = ImageFolder.open(dir.resolve("data"));
        LayerProbe probe = LayerProbe.builder().setExtraction(ExtractionSettings.builder().setModel(MODEL).optBatchSize(5).build())
                .optPoolings(List.of(Pooling.AVG, Pooling.MAX)).optFolds(4).optCGrid(0.1, 1).build();
        assertEquals(List.of(new FeatureTarget("conv2", Pooling.AVG), new FeatureTarget("conv2", Pooling.MAX),
                new FeatureTarget("conv1", Pooling.AVG), new FeatureTarget("conv1", Pooling.MAX)), probe.targets());
        ProbeResult r = probe.probe(data, "train", dir.resolve("probe"));
        assertEquals(4, r.rows().size());
        for (ProbeRow row : r.rows()) {
            assertTrue(row.balancedAccuracy() >= 0 && row.balancedAccuracy() <= 1, row.toString());
            assertTrue(row.balancedAccuracy() <= r.winner().balancedAccuracy() + 1e-12, "the winner scores best: " + r.table());
            assertTrue(row.bytesOnDisk() > 0);
            try (FeatureStore s = FeatureStore.open(dir.resolve("probe").resolve(row.target().storeFileName()))) {
                assertEquals(16, s.rows());
                assertEquals(row.dim(), s.dim());
            }
        }
        assertTrue(r.rows().get(0).depth() > r.rows().get(2).depth(), "conv2 lies deeper than conv1");
        assertTrue(r.table().contains("| " + r.winner().target().layer() + " * |"), r.table());
        assertEquals(r.winner().target().toString(), r.toProvenance().get("probe.choice"));

        Path png = dir.resolve("probe.png");
        ProbePlot.write(r, png);
        assertNotNull(ImageIO.read(png.toFile()));

        // A rerun finds the stores complete and scores the same.
        ProbeResult again = probe.probe(data, "train", dir.resolve("probe"));
        assertEquals(r.rows().stream().map(ProbeRow::balancedAccuracy).toList(),
                again.rows().stream().map(ProbeRow::balancedAccuracy).toList());
    }

    @Test
    void candidatesWithTheSameFeaturesAreCrossValidatedOnce(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 8, 3);
        ImageFolder data = ImageFolder.open(dir.resolve("data"));
        // "gap" is conv2 average-pooled, and pooling its vector again changes nothing: gap AVG, gap MAX = conv2 AVG.
        LayerProbe probe = LayerProbe.builder().setExtraction(SETTINGS.toBuilder().optBatchSize(5).build())
                .optLayers(List.of("conv2", "gap")).optPoolings(List.of(Pooling.AVG, Pooling.MAX)).optFolds(4).optCGrid(0.1, 1)
                .build();
        ProbeResult r = probe.probe(data, "train", dir.resolve("probe"));
        FeatureTarget conv2Avg = new FeatureTarget("conv2", Pooling.AVG);
        assertEquals(java.util.Arrays.asList(null, null, conv2Avg, conv2Avg),
                r.rows().stream().map(ProbeRow::sameAs).toList(), r.table());
        ProbeRow original = r.rows().get(0);
        for (ProbeRow copy : r.rows().subList(2, 4)) {
            assertEquals(original.balancedAccuracy(), copy.balancedAccuracy());
            assertEquals(0, copy.seconds());
            assertTrue(copy.bytesOnDisk() > 0);
        }
        assertTrue(r.winner().sameAs() == null, "a repeat is never the winner");
        assertTrue(r.table().contains("| gap (= conv2/AVG) | MAX |"), r.table());
        assertEquals("same features as " + conv2Avg, r.toProvenance().get("probe." + new FeatureTarget("gap", Pooling.MAX)));
    }

    @Test
    void blockOutputsCanBeAddedToTheCandidatesInGraphOrder() {
        BaseModel residual = BaseModel.builder().setName("residual")
                .setGraph(residualGraph()).setInputSpec(new InputSpec(8, 8, 3,
                        DataFormat.NCHW)).setPreprocessing(Preprocessing.UNIT)
                .optFeatureLayers(List.of("c3")).build();
        ExtractionSettings settings = ExtractionSettings.builder()
                .setModel(residual).build();
        assertEquals(List.of("c3"), LayerProbe.builder().setExtraction(settings).build().targets().stream()
                .map(FeatureTarget::layer).toList());
        assertEquals(List.of("stem", "add", "c3"), LayerProbe.builder().setExtraction(settings).optBlockOutputs(true).build()
                .targets().stream().map(FeatureTarget::layer).toList());
    }

    /** stem -> (res) -> add(stem, res) -> c3 -> global pooling -> output: block outputs stem and add. */
    private static ComputationGraph residualGraph() {
        var conv = (IntFunction<ConvolutionLayer>) n ->
                new ConvolutionLayer.Builder(3, 3).nOut(n)
                        .convolutionMode(ConvolutionMode.Same).build();
        var g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(3).graphBuilder().addInputs("in")
                .addLayer("stem", conv.apply(4), "in").addLayer("res", conv.apply(4), "stem")
                .addVertex("add", new ElementWiseVertex(
                        ElementWiseVertex.Op.Add), "stem", "res")
                .addLayer("c3", conv.apply(4), "add")
                .addLayer("gap", new GlobalPoolingLayer.Builder(
                        PoolingType.AVG).build(), "c3")
                .addLayer("out", new OutputLayer.Builder(
                        LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3)).build());
        g.init();
        return g;
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsExtracted(@TempDir Path dir) throws Exception {
        TransferKitException missing = assertThrows(TransferKitException.class,
                () -> LayerProbe.builder().setExtraction(SETTINGS).optLayers(List.of("conv1", "block_13")).build());
        assertTrue(missing.getMessage().contains("has no layer named 'block_13'") && missing.getMessage().contains("conv2"),
                missing.getMessage());

        TestImages.write(dir.resolve("few"), "train", 2, 1);
        ImageFolder few = ImageFolder.open(dir.resolve("few"));
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> LayerProbe.builder().setExtraction(SETTINGS).optFolds(5).build().probe(few, "train", dir.resolve("p1")));
        assertTrue(tooFew.getMessage().matches("The class '\\w+' has 2 image\\(s\\), fewer than the 5 cross-validation"
                + " folds; add images or use fewer folds\\."), tooFew.getMessage());
        assertTrue(Files.notExists(dir.resolve("p1")), "nothing was extracted");

        LayerProbe three = LayerProbe.builder().setExtraction(SETTINGS).optFolds(2).build();
        List<dev.transferkit.image.LabeledImage> oneClass = few.images("train").stream()
                .filter(i -> i.label().equals(few.images("train").get(0).label())).toList();
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> three.probe(oneClass, few.labelEncoder(), dir.resolve("p2")));
        assertTrue(single.getMessage().contains("needs at least two classes with images"), single.getMessage());
    }
}
