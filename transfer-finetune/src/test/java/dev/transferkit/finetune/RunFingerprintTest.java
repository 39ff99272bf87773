package dev.transferkit.finetune;

import dev.transferkit.head.ClassWeights;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ResizePolicy;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The checkpoint fingerprint covers every fine-tuning setting: each component of {@link FineTuner.Settings}, found
 * recursively by reflection, is changed in turn and must change the fingerprint. A component added to those records
 * is covered without changing this test; one of a new type fails here until the test and
 * {@link RunFingerprint#canonical} know the type.
 */
class RunFingerprintTest {
    /** The fields of a FineTuner that are not settings: the base (fingerprinted on its own), what is derived from the
     * settings and the base, and what does not change the result (the memory check only decides whether a run starts,
     * so a run resumed with the check switched off or on continues from its checkpoint). */
    private static final Set<String> NOT_SETTINGS = Set.of("base", "trainableFrom", "unfreezeFrom", "blockPattern",
            "outputDir", "checkpointDir", "listener", "memoryCheck", "availableMemory");

    private static FineTuner tuner() {
        return FineTuner.builder().setBaseModel(TestData.tinyModel()).optHead(new int[]{8}, 0.2).optBatchSize(8).optSeed(5)
                .optPhase1(2, 1e-2).optTrainableFrom("c2").optPhase2(2, "c1", 1e-3, FineTuner.Phase2Updater.SGD_MOMENTUM)
                .optEarlyStopping(2).optDiscriminativeLr(0.5)
                .optAugmentation(Augmentation.builder().optRotation(10).optBrightness(0.8, 1.2).build(), false)
                .optImageOptions(ImageOptions.builder().optResize(ResizePolicy.CENTER_CROP).build()).build();
    }

    @Test
    void changingAnySettingChangesTheFingerprint() throws Exception {
        FineTuner.Settings settings = tuner().settings();
        String fingerprint = RunFingerprint.ofSettings(settings);
        assertEquals(fingerprint, RunFingerprint.ofSettings(tuner().settings()), "equal settings, equal fingerprints");

        Map<String, Object> variants = new LinkedHashMap<>();
        collectVariants("settings", settings, variants);
        Set<String> leaves = new TreeSet<>();
        variants.keySet().forEach(path -> leaves.add(path.replaceAll("#\\d+$", "")));
        assertTrue(leaves.containsAll(List.of("settings.head.cutLayer", "settings.phase2.updater", "settings.training.seed",
                "settings.augmentation.fillColor", "settings.augmentPhase1", "settings.imageOptions")), leaves.toString());
        assertTrue(leaves.size() >= 34, "every component of every settings record: " + leaves);
        for (Map.Entry<String, Object> v : variants.entrySet()) {
            assertNotEquals(fingerprint, RunFingerprint.ofSettings((FineTuner.Settings) v.getValue()),
                    "changing " + v.getKey() + " must change the fingerprint");
        }
    }

    @Test
    void everyFieldOfAFineTunerThatDecidesTheResultIsInItsSettings() {
        List<String> fields = Arrays.stream(FineTuner.class.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers())).map(Field::getName).filter(n -> !NOT_SETTINGS.contains(n))
                .toList();
        assertEquals(List.of("settings"), fields, "a new FineTuner field that changes what a run computes belongs in"
                + " FineTuner.Settings, so that the checkpoint fingerprint covers it");
    }

    @Test
    void toBuilderKeepsEverySetting() {
        FineTuner tuner = tuner();
        assertEquals(tuner.settings(), tuner.toBuilder().build().settings());
        assertEquals(7, tuner.toBuilder().optSeed(7).build().settings().training().seed());
        assertEquals(5, tuner.settings().training().seed(), "the original is unchanged");
    }

    @Test
    void aSettingOfAnUnknownTypeIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunFingerprint.canonical(new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object") && e.getMessage().contains("RunFingerprint.canonical"),
                e.getMessage());
        assertEquals("{a=\"x\", b=[1, 2]}", RunFingerprint.canonical(Map.of("b", List.of(1, 2), "a", "x")), "maps sorted by key");
    }

    /** Puts into {@code out}, by path, one copy of {@code value} per leaf component with that component changed. */
    private static void collectVariants(String path, Object value, Map<String, Object> out) throws Exception {
        if (!(value instanceof Record record)) {
            return;
        }
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            values[i] = components[i].getAccessor().invoke(record);
        }
        Constructor<?> canonical = record.getClass().getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class[]::new));
        for (int i = 0; i < components.length; i++) {
            String at = path + "." + components[i].getName();
            Map<String, Object> inner = new LinkedHashMap<>();
            if (values[i] instanceof Record) {
                collectVariants(at, values[i], inner);
            } else {
                List<Object> alternatives = alternatives(at, components[i].getType(), values[i]);
                for (int k = 0; k < alternatives.size(); k++) {
                    inner.put(at + "#" + k, alternatives.get(k));
                }
            }
            for (Map.Entry<String, Object> e : inner.entrySet()) {
                Object[] changed = values.clone();
                changed[i] = e.getValue();
                out.put(e.getKey(), canonical.newInstance(changed));
            }
        }
    }

    /** Values of a leaf setting other than {@code v}, valid for the records that hold them. */
    private static List<Object> alternatives(String path, Class<?> type, Object v) {
        if (type == int.class) {
            return List.of((int) v + 1);
        }
        if (type == long.class) {
            return List.of((long) v + 1);
        }
        if (type == double.class) {
            return List.of((double) v + 0.01);
        }
        if (type == boolean.class) {
            return List.of(!(boolean) v);
        }
        if (type == String.class) {
            return List.of(v == null ? "x" : v + "x");
        }
        if (type.isEnum()) {
            Object[] constants = type.getEnumConstants();
            return List.of(constants[(((Enum<?>) v).ordinal() + 1) % constants.length]);
        }
        if (type == List.class) {
            List<Object> longer = new ArrayList<>((List<?>) v);
            longer.add(longer.get(0));
            return List.of(longer);
        }
        if (type == ClassWeights.class) {
            return List.of(ClassWeights.balanced(), ClassWeights.of(Map.of("red", 2.0)));
        }
        if (type == ImageOptions.class) {
            ImageOptions o = (ImageOptions) v;
            return List.of(ImageOptions.builder().optResize(ResizePolicy.SQUASH).build(),
                    ImageOptions.builder().optResize(o.resize()).optBackground(Color.BLACK).build(),
                    ImageOptions.builder().optResize(o.resize()).optMaxPixels(o.maxPixels() - 1).build(),
                    ImageOptions.builder().optResize(o.resize()).optApplyExifOrientation(!o.applyExifOrientation()).build());
        }
        return fail("The setting " + path + " has the type " + type.getName() + ", for which this test has no other value;"
                + " add one here (and a canonical form in RunFingerprint.canonical).");
    }
}
