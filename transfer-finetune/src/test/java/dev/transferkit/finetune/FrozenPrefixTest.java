package dev.transferkit.finetune;

import dev.transferkit.model.BaseModel;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.junit.jupiter.api.io.TempDir;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import java.nio.file.Path;

import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The split at the freeze boundary: what runs frozen, what the tail reads, and that the two together compute the network. */
class FrozenPrefixTest {
    @Test
    void theTailOnThePrefixOutputsComputesTheWholeNetwork(@TempDir Path tmp) throws java.io.IOException {
        BaseModel base = TestData.tinyModel();
        ImageFolder folder = ImageFolder.open(TestData.redBlue(tmp.resolve("data"), 2, 1));
        ImageSet images = ImageSet.of(folder.images("train").subList(0, 3), folder.labelEncoder(),
                base.pipeline(ImageOptions.defaults()), "train");
        ComputationGraph net = new TransferLearning.GraphBuilder(base.graph()).setFeatureExtractor("bn1").build();
        try (FrozenPrefix split = FrozenPrefix.split(net, Set.of("c1", "bn1"), base.inputSpec())) {
            assertEquals(List.of("bn1"), split.boundary());
            assertEquals(List.of("bn1"), split.tail().getConfiguration().getNetworkInputs());
            assertTrue(split.tail().numParams() < net.numParams(), split.tail().numParams() + " of " + net.numParams());
            INDArray x = images.batch(new int[]{0, 1, 2}, null, null);
            INDArray[] boundary;
            try (FeatureSource source = split.source(images, null, Augmentation.none(), 8, null, null, 1)) {
                boundary = source.train(new int[]{0, 1, 2}, new Random(1));
            }
            assertEquals(1, boundary.length);
            INDArray expected = net.outputSingle(false, x);
            assertTrue(expected.equalsWithEps(split.tail().output(false, boundary)[0], 1e-4));
        }
    }

    @Test
    void aResidualAdditionBetweenFrozenAndTrainableLayersMakesTwoBoundaryValues() {
        BaseModel base = TestData.tinyModel();
        // c2 -> bn2 -> add(bn2, c2): freezing c2 only leaves bn2 trainable, and the addition reads both.
        ComputationGraph withAdd = new TransferLearning.GraphBuilder(base.graph())
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "c2")
                .removeVertexKeepConnections("gap")
                .addLayer("gap", new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                        org.deeplearning4j.nn.conf.layers.PoolingType.AVG).build(), "add")
                .build();
        GraphSurgery s = new GraphSurgery(withAdd);
        Set<String> prefix = s.frozenPrefix(Set.of("c1", "bn1", "c2"));
        assertEquals(Set.of("c1", "bn1", "c2"), prefix);
        assertEquals(List.of("c2"), s.boundary(prefix)); // bn2 and add both read c2
        Set<String> all = s.frozenPrefix(Set.of());
        assertEquals(Set.of(), all);
        assertEquals(List.of("in"), s.boundary(all));
    }
}
