package dev.transferkit.store;

import dev.transferkit.extract.Pooling;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreSpecTest {
    private static StoreSpec.Builder full() {
        return StoreSpec.builder().setModel("resnet50").setLayer("res5c_branch").setPooling(Pooling.AVG_MAX)
                .setPreprocessing(Preprocessing.CAFFE).setInputSpec(new InputSpec(224, 224, 3, DataFormat.NCHW))
                .setFeatureDim(4096).setLabelNames(List.of("cat", "dog"));
    }

    @Test
    void equalSpecsAreEqualAndLabelListsAreCopied() {
        List<String> labels = new ArrayList<>(List.of("cat", "dog"));
        StoreSpec a = full().setLabelNames(labels).build();
        labels.add("bird");
        assertEquals(List.of("cat", "dog"), a.labelNames());
        assertThrows(UnsupportedOperationException.class, () -> a.labelNames().add("x"));
        StoreSpec b = full().build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, full().setLabelNames(List.of("dog", "cat")).build(), "label order matters");
        assertEquals("StoreSpec(model=resnet50, layer=res5c_branch, pooling=AVG_MAX, preprocessing=caffe, "
                + "input=224x224x3 NCHW, ImageOptions(resize=SQUASH, background=#FFFFFF, maxPixels=50000000, "
                + "applyExifOrientation=true), featureDim=4096, labels=2 [cat, dog])", a.toString());
        StoreSpec cropped = full().optImageOptions(dev.transferkit.image.ImageOptions.builder()
                .optResize(dev.transferkit.image.ResizePolicy.CENTER_CROP).build()).build();
        assertNotEquals(a, cropped, "the resize policy changes the features");
        assertEquals(a, full().optImageOptions(dev.transferkit.image.ImageOptions.builder().optMaxPixels(10).build()).build(),
                "the pixel limit does not change the features of the images it accepts");
        String many = full().setLabelNames(List.of("a", "b", "c", "d", "e", "f", "g")).build().toString();
        assertTrue(many.contains("labels=7 [a, b, c, d, e, ...]"), many);
    }

    @Test
    void everyMissingOrInvalidFieldIsNamed() {
        // {change, expected message part, whether the setting is missing (MissingSettingException) or invalid}
        List<Object[]> cases = List.of(
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setModel(null), "model name", true},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setModel(" "), "model name", false},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setLayer(""), "layer name", false},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setPooling(null), "pooling", true},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setPreprocessing(null), "preprocessing", true},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setInputSpec(null), "input spec", true},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setFeatureDim(0), "feature dimension of at least 1, but got 0", false},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setLabelNames(List.of()), "at least one label name", false},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setLabelNames(Arrays.asList("a", null)), "contain null", false},
                new Object[]{(Consumer<StoreSpec.Builder>) b -> b.setLabelNames(List.of("a", "b", "a")), "[a, b, a] contain duplicates", false});
        for (Object[] c : cases) {
            StoreSpec.Builder b = full();
            @SuppressWarnings("unchecked")
            Consumer<StoreSpec.Builder> change = (Consumer<StoreSpec.Builder>) c[0];
            change.accept(b);
            Class<? extends RuntimeException> type = (Boolean) c[2] ? dev.transferkit.core.MissingSettingException.class
                    : IllegalArgumentException.class;
            RuntimeException e = assertThrows(type, b::build);
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
        }
    }
}
