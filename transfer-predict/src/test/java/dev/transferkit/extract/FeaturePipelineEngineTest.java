package dev.transferkit.extract;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Features computed through the inference engine equal those of DL4J's own forward pass. */
class FeaturePipelineEngineTest {
    private static BaseModel model(boolean useEngine) {
        return BaseModel.builder().setName("tiny").setGraph(TinyNetworks.convNet(3, 7))
                .setInputSpec(new InputSpec(16, 16, 3, DataFormat.NCHW)).setPreprocessing(Preprocessing.TF)
                .optFeatureLayers(List.of("conv2", "conv1")).optUseEngine(useEngine).build();
    }

    @Test
    void engineAndDl4jFeaturesAgreeForEveryPooling() {
        BaseModel fast = model(true);
        BaseModel slow = model(false);
        assertTrue(fast.engine("conv1").isPresent());
        INDArray x = Nd4j.rand(4, 3, 16, 16);
        for (Pooling pooling : Pooling.values()) {
            for (String layer : List.of("conv1", "conv2", "gap")) {
                INDArray a = new FeaturePipeline(fast, layer, pooling).features(x);
                INDArray b = new FeaturePipeline(slow, layer, pooling).features(x);
                assertArrayEquals(b.shape(), a.shape(), layer + " " + pooling);
                assertArrayEquals(b.ravel().toFloatVector(), a.ravel().toFloatVector(), 1e-5f, layer + " " + pooling);
            }
        }
    }
}
