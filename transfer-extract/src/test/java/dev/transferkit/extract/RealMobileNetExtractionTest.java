package dev.transferkit.extract;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Extraction with the real pretrained MobileNetV2 (nsfwjs), checked against DL4J's full forward pass. */
class RealMobileNetExtractionTest {
    @Test
    void storedRowsEqualTheFullNetworksActivationsAveragedOverSpace(@TempDir Path dir) throws Exception {
        BaseModel model = NsfwjsSource.mobileNetV2().load();
        TestImages.write(dir.resolve("data"), "train", 2, 41);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        String layer = "block_13_expand_relu";
        try (FeatureStore store = FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optLayer(layer).optPooling(Pooling.AVG)
                .optBatchSize(3).build()).extract(folder, "train", dir.resolve("train.h5"))) {
            assertEquals(4, store.rows());
            assertEquals(576, store.dim());
            List<String> paths = store.readPaths(0, 4);
            INDArray rows = store.readFeatures(0, 4);
            for (int i = 0; i < 4; i++) {
                INDArray input = model.pipeline(ImageOptions.defaults()).load(Path.of(paths.get(i)));
                INDArray act = model.graph().feedForward(input, false).get(layer); // [1, 14, 14, 576], NHWC
                assertArrayEquals(new long[]{1, 14, 14, 576}, act.shape());
                assertArrayEquals(act.mean(1, 2).toFloatVector(), rows.getRow(i).toFloatVector(), 1e-5f, "row " + i);
            }
        }
    }
}
