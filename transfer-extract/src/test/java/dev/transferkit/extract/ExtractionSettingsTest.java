package dev.transferkit.extract;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ResizePolicy;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExtractionSettingsTest {
    private static final BaseModel MODEL = TinyNetworks.baseModel(List.of("a", "b"));

    @Test
    void defaultsAreTheModelsRecommendedLayerAveragedInBatchesOf32() {
        ExtractionSettings s = ExtractionSettings.builder().setModel(MODEL).build();
        assertSame(MODEL, s.model());
        assertEquals(List.of(new FeatureTarget(MODEL.defaultFeatureLayer(), Pooling.AVG)), s.targets());
        assertEquals(32, s.batchSize());
        assertEquals(Runtime.getRuntime().availableProcessors(), s.threads());
        assertEquals(ImageOptions.defaults(), s.imageOptions());
        assertFalse(s.failFast());
        assertFalse(s.overwrite());
        assertEquals(null, s.listener());
    }

    @Test
    void toBuilderKeepsEveryValueAndTheLastOfLayerOrTargetsWins() {
        ProgressListener listener = p -> { };
        ImageOptions crop = ImageOptions.builder().optResize(ResizePolicy.CENTER_CROP).build();
        ExtractionSettings s = ExtractionSettings.builder().setModel(MODEL).optLayer("conv1").optPooling(Pooling.MAX)
                .optBatchSize(7).optThreads(3).optImageOptions(crop).optFailFast(true).optOverwrite(true)
                .optListener(listener).build();
        ExtractionSettings copy = s.toBuilder().build();
        assertEquals(s.toString(), copy.toString());
        assertEquals(List.of(new FeatureTarget("conv1", Pooling.MAX)), copy.targets());
        assertEquals(7, copy.batchSize());
        assertEquals(3, copy.threads());
        assertEquals(crop, copy.imageOptions());
        assertTrue(copy.failFast() && copy.overwrite());
        assertSame(listener, copy.listener());

        List<FeatureTarget> two = List.of(new FeatureTarget("conv1", Pooling.AVG), new FeatureTarget("conv2", Pooling.FLATTEN));
        ExtractionSettings multi = s.toBuilder().optTargets(two).build();
        assertEquals(two, multi.targets());
        assertEquals(two, multi.toBuilder().build().targets());
        assertEquals(List.of(new FeatureTarget("conv2", Pooling.AVG)), multi.toBuilder().optLayer("conv2").build().targets(),
                "optLayer after optTargets names one target again, with the default pooling");
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class, () -> multi.singleTarget("A test"));
        assertEquals("A test writes one layer and pooling, but the extraction settings hold 2 targets [conv1/AVG,"
                + " conv2/FLATTEN]; use optLayer and optPooling instead of optTargets.", single.getMessage());
    }

    @Test
    void aMissingModelIsNamedWithItsSetter() {
        MissingSettingException e = assertThrows(MissingSettingException.class, () -> ExtractionSettings.builder().build());
        assertEquals("Extraction settings need a base model: call setModel.", e.getMessage());
    }

    @Test
    void invalidValuesAreRefusedNamingTheValue() {
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> ExtractionSettings.builder().optBatchSize(0));
        assertEquals("The batch size must be at least 1, but was 0.", batch.getMessage());
        IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
                () -> ExtractionSettings.builder().optThreads(-2));
        assertEquals("The thread count must be at least 1, but was -2.", threads.getMessage());
        IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class, () -> ExtractionSettings.builder()
                .optTargets(List.of(new FeatureTarget("conv1", Pooling.AVG), new FeatureTarget("conv1", Pooling.AVG))));
        assertEquals("Feature targets must be at least one and distinct, but got [conv1/AVG, conv1/AVG].",
                repeated.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExtractionSettings.builder().optTargets(List.of()));
        NullPointerException pooling = assertThrows(NullPointerException.class,
                () -> ExtractionSettings.builder().optPooling(null));
        assertTrue(pooling.getMessage().contains("Pooling.AVG"), pooling.getMessage());
        assertThrows(NullPointerException.class, () -> ExtractionSettings.builder().optImageOptions(null));
    }

    @Test
    void aLayerTheModelLacksIsNamedWithTheLayersItHas() {
        TransferKitException e = assertThrows(TransferKitException.class,
                () -> ExtractionSettings.builder().setModel(MODEL).optLayer("fc7").build());
        assertTrue(e.getMessage().contains("has no layer named 'fc7'") && e.getMessage().contains("conv2"), e.getMessage());
        TransferKitException inTargets = assertThrows(TransferKitException.class, () -> ExtractionSettings.builder()
                .setModel(MODEL).optTargets(List.of(new FeatureTarget("conv1", Pooling.AVG), new FeatureTarget("fc8", Pooling.MAX)))
                .build());
        assertTrue(inTargets.getMessage().contains("has no layer named 'fc8'"), inTargets.getMessage());
    }

    @Test
    void theSpecOfATargetDescribesItsRows() {
        ExtractionSettings s = ExtractionSettings.builder().setModel(MODEL).optPooling(Pooling.AVG_MAX).build();
        FeatureTarget t = s.targets().get(0);
        var spec = s.spec(t, 32, List.of("a", "b"));
        assertEquals(MODEL.name(), spec.model());
        assertEquals(t.layer(), spec.layer());
        assertEquals(Pooling.AVG_MAX, spec.pooling());
        assertEquals(32, spec.featureDim());
        assertEquals(List.of("a", "b"), spec.labelNames());
        assertEquals(MODEL.inputSpec(), spec.inputSpec());
        assertEquals(FeatureExtractor.of(s).spec(dev.transferkit.image.LabelEncoder.of("a", "b")), spec,
                "the extractor's spec, whose dimension comes from a forward pass, is the same");
    }
}
