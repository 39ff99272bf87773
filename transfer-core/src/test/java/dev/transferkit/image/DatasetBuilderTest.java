package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetBuilderTest {
    @TempDir
    Path dir;

    /** Food-5K style names: {@code <class>_<n>.jpg}; each file's content is its own name. */
    private Path flatFolder(int perClass) throws IOException {
        Path flat = Files.createDirectories(dir.resolve("flat"));
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < perClass; i++) {
                String name = c + "_" + i + ".jpg";
                Files.writeString(flat.resolve(name), name);
            }
        }
        Files.writeString(flat.resolve("photo.jpg"), "no class in the name");
        Files.writeString(flat.resolve("readme.txt"), "not an image");
        Files.writeString(flat.resolve(".0_99.jpg"), "hidden");
        return flat;
    }

    private static DatasetBuilder.Builder food5k(Path flat, Path target) {
        return DatasetBuilder.builder().setSource(flat).setTarget(target).setLabelsFromFileNamePattern("(\\d+)_.*");
    }

    @Test
    void organisesAFlatFolderByFileNamePattern() throws IOException {
        Path flat = flatFolder(20);
        Path target = dir.resolve("dataset");
        DatasetBuilder builder = food5k(flat, target).build();
        DatasetSummary summary = builder.create();

        assertEquals(40, summary.written());
        assertEquals(0, summary.alreadyPresent());
        assertEquals(1, summary.unlabeled().size());
        ImageFailure unlabeled = summary.unlabeled().get(0);
        assertEquals(flat.resolve("photo.jpg"), unlabeled.path());
        assertTrue(unlabeled.reason().contains("file name pattern '(\\d+)_.*'"), unlabeled.reason());

        ImageFolder folder = summary.folder();
        assertEquals(List.of("train", "validation"), folder.splits());
        assertEquals(LabelEncoder.of("0", "1"), folder.labelEncoder());
        int total = 0;
        for (String split : folder.splits()) {
            for (LabeledImage image : folder.images(split)) {
                String name = image.path().getFileName().toString();
                assertEquals(name.substring(0, 1), image.label());
                assertEquals(builder.splitOf(name), split, name);
                assertEquals(name, Files.readString(image.path()), "copied content");
                total++;
            }
            assertEquals(folder.counts(split), summary.counts().get(split));
        }
        assertEquals(40, total);
        assertTrue(folder.images("validation").size() >= 2, "20% of 40 should give some validation images");
        assertFalse(Files.exists(target.resolve("train/0/.0_99.jpg")));
        try (var files = Files.walk(target)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary files left");
        }
    }

    @Test
    void isIdempotentAndStableWhenFilesAreAdded() throws IOException {
        Path flat = flatFolder(15);
        Path target = dir.resolve("dataset");
        DatasetSummary first = food5k(flat, target).build().create();
        List<LabeledImage> before = first.folder().images("train");

        DatasetSummary again = food5k(flat, target).build().create();
        assertEquals(0, again.written());
        assertEquals(30, again.alreadyPresent());

        for (int i = 100; i < 130; i++) {
            Files.writeString(flat.resolve("1_" + i + ".jpg"), "new " + i);
        }
        DatasetSummary grown = food5k(flat, target).build().create();
        assertEquals(30, grown.written());
        List<LabeledImage> after = grown.folder().images("train");
        assertTrue(after.containsAll(before), "files placed earlier keep their split");
        for (LabeledImage old : first.folder().images("validation")) {
            assertTrue(grown.folder().images("validation").contains(old));
        }
    }

    @Test
    void splitsByHashAccordingToTheFractionsAndSeed() {
        Map<String, Double> fractions = new LinkedHashMap<>();
        fractions.put("train", 0.7);
        fractions.put("validation", 0.2);
        fractions.put("test", 0.1);
        Function<Path, String> any = p -> "x";
        DatasetBuilder a = DatasetBuilder.builder().setSource(dir).setTarget(dir).setLabeler(any).optSplits(fractions).build();
        DatasetBuilder b = DatasetBuilder.builder().setSource(dir).setTarget(dir).setLabeler(any).optSplits(fractions).optSeed(1).build();
        Map<String, Integer> counts = new HashMap<>();
        int differ = 0;
        for (int i = 0; i < 2000; i++) {
            String name = "img" + i + ".jpg";
            counts.merge(a.splitOf(name), 1, Integer::sum);
            if (!a.splitOf(name).equals(b.splitOf(name))) {
                differ++;
            }
            assertEquals(a.splitOf(name), a.splitOf(name));
        }
        assertTrue(Math.abs(counts.get("train") - 1400) < 100, counts.toString());
        assertTrue(Math.abs(counts.get("validation") - 400) < 80, counts.toString());
        assertTrue(Math.abs(counts.get("test") - 200) < 60, counts.toString());
        assertTrue(differ > 500, "another seed gives another split, but only " + differ + " of 2000 moved");
    }

    @Test
    void readsLabelsFromCsvWithHeaderAndQuotes() throws IOException {
        Path flat = Files.createDirectories(dir.resolve("flat"));
        for (String name : List.of("a, b.jpg", "c.png", "d.png", "e.png", "f.png")) {
            Files.writeString(flat.resolve(name), name);
        }
        Path csv = Files.writeString(dir.resolve("labels.csv"),
                "\uFEFFfilename,label,comment\r\n"
                        + "\"a, b.jpg\",cat,\"said \"\"hi\"\"\"\r\n"
                        + "images/c.png, dog \r\n"
                        + "\r\n"
                        + "d.png,\n"
                        + "\"e.png\",\"cat\"\n", StandardCharsets.UTF_8);
        Map<String, Double> all = Map.of("train", 1.0);
        DatasetSummary s = DatasetBuilder.builder().setSource(flat).setTarget(dir.resolve("ds")).setLabelsFromCsv(csv)
                .optSplits(all).build().create();
        assertEquals(Map.of("train", Map.of("cat", 2, "dog", 1)), s.counts());
        assertEquals(List.of(flat.resolve("d.png"), flat.resolve("f.png")), s.unlabeled().stream().map(ImageFailure::path).toList());
        assertTrue(s.unlabeled().get(0).reason().contains("label file " + csv), s.unlabeled().get(0).reason());
        assertTrue(Files.exists(dir.resolve("ds/train/cat/a, b.jpg")));
        assertTrue(Files.exists(dir.resolve("ds/train/dog/c.png")));

        Path noHeader = Files.writeString(dir.resolve("plain.csv"), "c.png,bird\n");
        assertEquals("bird", LabelRules.fromCsv(noHeader).apply(flat.resolve("c.png")));
    }

    @Test
    void rejectsMalformedCsvFiles() throws IOException {
        Path shortRow = Files.writeString(dir.resolve("short.csv"), "a.jpg,cat\nb.jpg\n");
        TransferKitException e1 = assertThrows(TransferKitException.class, () -> LabelRules.fromCsv(shortRow));
        assertTrue(e1.getMessage().contains("Line 2 of the label file " + shortRow), e1.getMessage());
        Path twice = Files.writeString(dir.resolve("twice.csv"), "a.jpg,cat\na.jpg,dog\n");
        TransferKitException e2 = assertThrows(TransferKitException.class, () -> LabelRules.fromCsv(twice));
        assertTrue(e2.getMessage().contains("gives a.jpg two labels, 'cat' and 'dog'"), e2.getMessage());
        Path open = Files.writeString(dir.resolve("open.csv"), "a.jpg,cat\n\"b.jpg,dog\n");
        TransferKitException e3 = assertThrows(TransferKitException.class, () -> LabelRules.fromCsv(open));
        assertTrue(e3.getMessage().contains("quote opened on line 2"), e3.getMessage());
        TransferKitException e4 = assertThrows(TransferKitException.class, () -> LabelRules.fromCsv(dir.resolve("none.csv")));
        assertTrue(e4.getMessage().contains(dir.resolve("none.csv").toString()), e4.getMessage());
    }

    @Test
    void neverOverwritesADifferentFile() throws IOException {
        Path flat = flatFolder(3);
        Path target = dir.resolve("dataset");
        DatasetBuilder builder = food5k(flat, target).optSplits(Map.of("train", 1.0)).build();
        Path clash = Files.createDirectories(target.resolve("train/0")).resolve("0_1.jpg");
        Files.writeString(clash, "something else");
        TransferKitException e = assertThrows(TransferKitException.class, builder::create);
        assertTrue(e.getMessage().contains(clash.toString()) && e.getMessage().contains("nothing was written"), e.getMessage());
        assertEquals("something else", Files.readString(clash));
        assertFalse(Files.exists(target.resolve("train/0/0_0.jpg")), "the run stopped before writing anything");
    }

    @Test
    void hardLinksWhenAsked() throws IOException {
        Path flat = flatFolder(2);
        Path target = dir.resolve("dataset");
        food5k(flat, target).optSplits(Map.of("train", 1.0)).optHardLinks(true).build().create();
        Path linked = target.resolve("train/1/1_0.jpg");
        assertTrue(Files.isSameFile(flat.resolve("1_0.jpg"), linked));
        assertEquals(2, Files.getAttribute(linked, "unix:nlink"));
    }

    @Test
    void reportsLabelsThatCannotBeFolderNames() throws IOException {
        Path flat = flatFolder(1);
        DatasetSummary s = DatasetBuilder.builder().setSource(flat).setTarget(dir.resolve("ds"))
                .setLabeler(p -> p.getFileName().toString().startsWith("0") ? "../escape" : "ok").build().create();
        assertEquals(1, s.unlabeled().size());
        assertEquals(flat.resolve("0_0.jpg"), s.unlabeled().get(0).path());
        assertTrue(s.unlabeled().get(0).reason().contains("'../escape' cannot be used as a folder name"));
        assertFalse(Files.exists(dir.resolve("escape")));
    }

    @Test
    void rejectsInvalidConfiguration() throws IOException {
        dev.transferkit.core.MissingSettingException missing = assertThrows(dev.transferkit.core.MissingSettingException.class,
                () -> DatasetBuilder.builder().setSource(dir).build());
        assertTrue(missing.getMessage().contains("missing: setTarget, a labelling rule"), missing.getMessage());
        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                () -> DatasetBuilder.builder().optSplits(Map.of("train", 0.5, "validation", 0.3)));
        assertTrue(sum.getMessage().contains("not 1"), sum.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DatasetBuilder.builder().optSplits(Map.of("a/b", 1.0)));
        IllegalArgumentException group = assertThrows(IllegalArgumentException.class, () -> LabelRules.fromFileNamePattern("\\d+_.*"));
        assertTrue(group.getMessage().contains("no capturing group"), group.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LabelRules.fromFileNamePattern("(unclosed"));

        Path absent = dir.resolve("absent");
        TransferKitException noSource = assertThrows(TransferKitException.class,
                () -> food5k(absent, dir.resolve("t")).build().create());
        assertEquals("The source folder " + absent + " does not exist.", noSource.getMessage());
        Path flat = Files.createDirectories(dir.resolve("unlabelled"));
        Files.writeString(flat.resolve("cat.jpg"), "x");
        TransferKitException none = assertThrows(TransferKitException.class,
                () -> food5k(flat, dir.resolve("t")).build().create());
        assertTrue(none.getMessage().startsWith("None of the 1 images in " + flat + " could be labelled"), none.getMessage());
    }

    @Test
    void fileNamePatternMatchesTheWholeName() {
        Function<Path, String> rule = LabelRules.fromFileNamePattern("(\\d+)_.*");
        assertEquals("0", rule.apply(Path.of("/x/0_123.jpg")));
        assertEquals("12", rule.apply(Path.of("12_a.png")));
        assertEquals(null, rule.apply(Path.of("a0_1.jpg")));
        assertEquals("file name pattern '(\\d+)_.*'", rule.toString());
    }
}
