package dev.transferkit.extract;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several layers and poolings from one forward pass: each store equals the one a single-layer extraction writes. */
class MultiTargetExtractionTest {
    private static final BaseModel MODEL = TinyNetworks.baseModel(List.of("a", "b", "c"));
    private static final List<FeatureTarget> TARGETS = List.of(new FeatureTarget("conv2", Pooling.AVG),
            new FeatureTarget("conv1", Pooling.MAX), new FeatureTarget("conv2", Pooling.AVG_MAX), new FeatureTarget("gap", Pooling.AVG));

    @Test
    void oneForwardPassWritesTheStoresOfSingleLayerExtractions(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 5, 1);
        Files.writeString(dir.resolve("data/train/red/broken.png"), "not a png");
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        FeatureExtractor multi = FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optTargets(TARGETS).optBatchSize(3).optThreads(2).build());
        Map<FeatureTarget, FeatureStore> stores = multi.extractAll(folder.images("train"), folder.labelEncoder(), dir.resolve("probe"));
        assertEquals(TARGETS, List.copyOf(stores.keySet()));
        for (FeatureTarget t : TARGETS) {
            Path single = dir.resolve("single-" + t.storeFileName());
            try (FeatureStore expected = FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optLayer(t.layer()).optPooling(t.pooling())
                    .optBatchSize(4).build()).extract(folder, "train", single); FeatureStore actual = stores.get(t)) {
                assertEquals(expected.spec(), actual.spec());
                assertEquals(expected.rows(), actual.rows());
                assertEquals(expected.readPaths(0, (int) expected.rows()), actual.readPaths(0, (int) actual.rows()));
                assertTrue(expected.readFeatures(0, (int) expected.rows()).equalsWithEps(actual.readFeatures(0, (int) actual.rows()), 1e-5),
                        t.toString());
                assertEquals(1, actual.failures().size(), "every store records the unreadable image");
            }
        }
        assertThrows(IllegalStateException.class, () -> multi.extract(folder, "train", dir.resolve("one.h5")));
    }

    @Test
    void aStoreThatFellBehindItsSiblingsCatchesUpOnResume(@TempDir Path dir) throws Exception {
        TestImages.write(dir.resolve("data"), "train", 6, 1);
        ImageFolder folder = ImageFolder.open(dir.resolve("data"));
        List<FeatureTarget> two = TARGETS.subList(0, 2);
        FeatureExtractor multi = FeatureExtractor.of(ExtractionSettings.builder().setModel(MODEL).optTargets(two).optBatchSize(4).build());
        Path probe = dir.resolve("probe");
        multi.extractAll(folder.images("train"), folder.labelEncoder(), probe).values().forEach(FeatureStore::close);
        // The first store loses its content (as if it had been killed before its first commit); the second is complete.
        Files.delete(probe.resolve(two.get(0).storeFileName()));
        Map<FeatureTarget, FeatureStore> again = multi.extractAll(folder.images("train"), folder.labelEncoder(), probe);
        try (FeatureStore a = again.get(two.get(0)); FeatureStore b = again.get(two.get(1))) {
            assertEquals(12, a.rows());
            assertEquals(a.readPaths(0, 12), b.readPaths(0, 12));
        }
    }
}
