package dev.transferkit.examples.data;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FashionMnistTest {
    private static final int[] TRAIN_LABELS = {9, 0, 0, 3, 2, 9, 7, 1};
    private static final int[] TEST_LABELS = {8, 5, 8};

    @TempDir
    Path tmp;
    private Path source;
    private Path datasets;

    @BeforeEach
    void tinyIdxFiles() throws IOException {
        source = tmp.resolve("source");
        datasets = tmp.resolve("datasets");
        IdxFiles.images(source.resolve("train-images-idx3-ubyte.gz"), TRAIN_LABELS.length, 28, 28);
        IdxFiles.labels(source.resolve("train-labels-idx1-ubyte.gz"), TRAIN_LABELS);
        // the test pair uncompressed, as the upstream files are after gunzip
        IdxFiles.images(source.resolve("t10k-images-idx3-ubyte"), TEST_LABELS.length, 28, 28);
        IdxFiles.labels(source.resolve("t10k-labels-idx1-ubyte"), TEST_LABELS);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertImage(int index, BufferedImage img) {
        assertEquals(28, img.getWidth());
        assertEquals(28, img.getHeight());
        for (int[] xy : new int[][]{{0, 0}, {5, 3}, {27, 27}}) {
            assertEquals(IdxFiles.pixel(index, xy[0], xy[1], 28), img.getRaster().getSample(xy[0], xy[1], 0),
                    "image " + index + " at " + Arrays.toString(xy));
        }
    }

    @Test
    void writesPngsInTheImageFolderLayout() throws IOException {
        DatasetSummary s = FashionMnist.builder().optSourceDir(source).optCacheDir(datasets).build().summary();
        Path root = s.root();
        assertEquals(datasets.resolve("fashion-mnist-all"), root);
        assertEquals(List.of("train", "test"), s.splits());
        assertEquals(FashionMnist.CLASS_NAMES.stream().sorted().toList(), names(root.resolve("train")));
        assertEquals(List.of("00001.png", "00002.png"), names(root.resolve("train/T-shirt_top")));
        assertEquals(List.of("00000.png", "00005.png"), names(root.resolve("train/Ankle_boot")));
        assertEquals(List.of("00000.png", "00002.png"), names(root.resolve("test/Bag")));
        assertEquals(List.of(), names(root.resolve("test/Coat")));
        assertEquals(2, s.count("train", "T-shirt_top"));
        assertEquals(1, s.count("train", "Sneaker"));
        assertEquals(0, s.count("train", "Bag"));
        assertEquals(TRAIN_LABELS.length, s.total("train"));
        assertEquals(TEST_LABELS.length, s.total("test"));
        assertImage(3, ImageIO.read(root.resolve("train/Dress/00003.png").toFile()));
        assertImage(1, ImageIO.read(root.resolve("test/Sandal/00001.png").toFile()));
        assertTrue(Files.readString(root.resolve("NOTICE")).contains("MIT License"));
        assertTrue(s.toString().contains("Ankle_boot"), s.toString());
        assertEquals(List.of("fashion-mnist-all"), names(datasets));
    }

    @Test
    void limitWritesTheFirstImagesOfEachSplit() throws IOException {
        DatasetSummary s = FashionMnist.builder().optSourceDir(source).optCacheDir(datasets).optLimit(2).build().summary();
        assertEquals(datasets.resolve("fashion-mnist-limit2"), s.root());
        assertEquals(2, s.total("train"));
        assertEquals(2, s.total("test"));
        assertEquals(List.of("00000.png"), names(s.root().resolve("train/Ankle_boot")));
        assertEquals(List.of("00001.png"), names(s.root().resolve("train/T-shirt_top")));
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.builder().optLimit(0));
    }

    @Test
    void streamsImagesWithoutWritingFiles() {
        FashionMnist fm = FashionMnist.builder().optSourceDir(source).optCacheDir(datasets).build();
        List<Integer> labels = new ArrayList<>();
        try (IdxImageIterator it = fm.iterator(FashionMnist.Split.TRAIN)) {
            for (int i = 0; it.hasNext(); i++) {
                LabeledImage li = it.next();
                assertImage(i, li.image());
                assertEquals(FashionMnist.CLASS_NAMES.get(li.label()), li.className());
                labels.add(li.label());
            }
        }
        assertEquals(Arrays.stream(TRAIN_LABELS).boxed().toList(), labels);
        assertFalse(Files.exists(datasets));
    }

    @Test
    void failedWriteLeavesNothingThatLooksComplete() throws IOException {
        // the test labels are cut short, so the train split is written before the build fails
        byte[] whole = IdxFiles.idx(IdxReader.UNSIGNED_BYTE, new int[]{TEST_LABELS.length}, new byte[]{8, 5, 8});
        IdxFiles.write(source.resolve("t10k-labels-idx1-ubyte"), Arrays.copyOf(whole, whole.length - 1));
        FashionMnist fm = FashionMnist.builder().optSourceDir(source).optCacheDir(datasets).build();
        IdxFormatException e = assertThrows(IdxFormatException.class, fm::prepare);
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte") && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(Files.exists(fm.root()));
        assertEquals(List.of(), names(datasets));
    }

    @Test
    void rejectsMissingFilesAndOtherImageSizes() throws IOException {
        Files.delete(source.resolve("t10k-images-idx3-ubyte"));
        FashionMnist fm = FashionMnist.builder().optSourceDir(source).optCacheDir(datasets).build();
        DatasetException missing = assertThrows(DatasetException.class, fm::prepare);
        assertTrue(missing.getMessage().contains(source.resolve("t10k-images-idx3-ubyte.gz").toString()),
                missing.getMessage());

        IdxFiles.images(source.resolve("t10k-images-idx3-ubyte"), TEST_LABELS.length, 32, 32);
        IdxFormatException size = assertThrows(IdxFormatException.class, () -> fm.iterator(FashionMnist.Split.TEST));
        assertTrue(size.getMessage().contains("t10k-images-idx3-ubyte") && size.getMessage().contains("32x32"),
                size.getMessage());
    }

    @Test
    void missingAptGetSaysWhatToInstall() throws IOException {
        DebianPackage noApt = new DebianPackage(FashionMnist.DEBIAN_PACKAGE, tmp.resolve("debian"),
                tmp.resolve("no-apt-get").toString(), "dpkg-deb");
        FashionMnist fm = FashionMnist.builder().debianPackage(noApt).optCacheDir(datasets).build();
        DatasetException e = assertThrows(DatasetException.class, fm::prepare);
        assertTrue(e.getMessage().contains("no-apt-get"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("optSourceDir") && e.getMessage().contains("train-images-idx3-ubyte.gz"),
                e.getMessage());
        // no dataset, no half-unpacked package and no temporary directory is left behind
        assertEquals(List.of(), names(datasets));
        assertEquals(List.of("datasets", "source"), names(tmp));
    }
}
