package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {
    private static final LabelEncoder AB = LabelEncoder.of("a", "b");

    @TempDir
    Path dir;

    /** 1x1 NHWC, raw values: each image becomes its three colour components. */
    private final ImagePipeline pipeline = new ImagePipeline(new InputSpec(1, 1, 3, DataFormat.NHWC), Preprocessing.NONE,
            ImageOptions.defaults());

    /** Image i is a solid 3x3 PNG of grey value 10 * i, labelled "a" for even and "b" for odd i. */
    private List<LabeledImage> images(int n) {
        List<LabeledImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path file = TestImages.write(TestImages.solid(3, 3, (10 * i) * 0x010101), "png", dir.resolve("img " + i + ".png"));
            out.add(new LabeledImage(file, i % 2 == 0 ? "a" : "b"));
        }
        return out;
    }

    private BatchLoader.Builder loader(List<LabeledImage> images) {
        return BatchLoader.builder().setImages(images).setPipeline(pipeline).setLabelEncoder(AB).optThreads(3);
    }

    /** The grey value of each image of a batch, read back from the features. */
    private static int[] greys(INDArray features) {
        int n = (int) features.size(0);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) features.getFloat(i, 0, 0, 1);
        }
        return out;
    }

    @Test
    void keepsInputOrderAcrossBatchesIncludingAPartialLastBatch() {
        List<LabeledImage> images = images(10);
        List<int[]> greys = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        try (BatchLoader loader = loader(images).optBatchSize(4).optPrefetch(2).build()) {
            assertEquals(3, loader.numBatches());
            assertEquals(10, loader.numImages());
            while (loader.hasNext()) {
                ImageBatch batch = loader.next();
                assertArrayEquals(new long[]{batch.size(), 1, 1, 3}, batch.features().shape());
                int start = paths.size();
                int[] labels = batch.labels();
                for (int i = 0; i < batch.size(); i++) {
                    assertEquals((start + i) % 2, labels[i]);
                }
                greys.add(greys(batch.features()));
                sizes.add(batch.size());
                paths.addAll(batch.paths());
                assertTrue(batch.failures().isEmpty());
            }
            assertThrows(NoSuchElementException.class, loader::next);
        }
        assertEquals(List.of(4, 4, 2), sizes);
        assertArrayEquals(new int[]{0, 10, 20, 30}, greys.get(0));
        assertArrayEquals(new int[]{40, 50, 60, 70}, greys.get(1));
        assertArrayEquals(new int[]{80, 90}, greys.get(2));
        assertEquals(images.stream().map(LabeledImage::path).toList(), paths);
    }

    @Test
    void leavesOutAndReportsImagesThatFail() throws IOException {
        List<LabeledImage> images = new ArrayList<>(images(5));
        Path empty = Files.createFile(dir.resolve("empty.png"));
        Path text = Files.writeString(dir.resolve("text.jpg"), "hello");
        images.add(2, new LabeledImage(empty, "a"));
        images.add(5, new LabeledImage(text, "b"));
        // Order: img0, img1, empty, img2, img3 | text, img4
        try (BatchLoader loader = loader(images).optBatchSize(5).optPrefetch(0).build()) {
            ImageBatch first = loader.next();
            assertArrayEquals(new int[]{0, 10, 20, 30}, greys(first.features()));
            assertArrayEquals(new int[]{0, 1, 0, 1}, first.labels());
            assertEquals(List.of(images.get(0).path(), images.get(1).path(), images.get(3).path(), images.get(4).path()), first.paths());
            assertEquals(1, first.failures().size());
            assertEquals(empty, first.failures().get(0).path());
            assertTrue(first.failures().get(0).reason().contains(empty + " could not be decoded: it is empty"));
            ImageBatch second = loader.next();
            assertArrayEquals(new int[]{40}, greys(second.features()));
            assertEquals(text, second.failures().get(0).path());
            assertTrue(second.failures().get(0).reason().contains("not an image"));
            assertFalse(loader.hasNext());
        }
    }

    @Test
    void returnsAnEmptyBatchWhenEveryImageOfItFails() throws IOException {
        Path a = Files.createFile(dir.resolve("a.png"));
        Path b = Files.createFile(dir.resolve("b.png"));
        List<LabeledImage> images = new ArrayList<>(List.of(new LabeledImage(a, "a"), new LabeledImage(b, "b")));
        images.addAll(images(1));
        try (BatchLoader loader = loader(images).optBatchSize(2).build()) {
            ImageBatch broken = loader.next();
            assertTrue(broken.isEmpty());
            assertEquals(0, broken.features().size(0));
            assertEquals(List.of(a, b), broken.failures().stream().map(ImageFailure::path).toList());
            assertEquals(1, loader.next().size());
        }
    }

    @Test
    void failFastRethrowsTheDecodeError() throws IOException {
        List<LabeledImage> images = new ArrayList<>(images(3));
        Path text = Files.writeString(dir.resolve("fake.png"), "not a png");
        images.add(1, new LabeledImage(text, "b"));
        try (BatchLoader loader = loader(images).optBatchSize(2).optFailFast(true).build()) {
            ImageDecodeException e = assertThrows(ImageDecodeException.class, loader::next);
            assertEquals(text, e.file());
            assertTrue(e.getMessage().startsWith("The file " + text + " could not be decoded"), e.getMessage());
        }
    }

    private static Set<Thread> decodeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("transferkit-decode-") && t.isAlive())
                .collect(Collectors.toSet());
    }

    @Test
    void closeStopsTheDecodingThreads() throws InterruptedException {
        List<LabeledImage> images = images(12);
        Set<Thread> before = decodeThreads();
        BatchLoader loader = loader(images).optBatchSize(2).optPrefetch(3).build();
        loader.next();
        Set<Thread> started = decodeThreads();
        started.removeAll(before);
        assertFalse(started.isEmpty(), "decoding runs on its own threads");
        assertTrue(started.stream().allMatch(Thread::isDaemon), "decoding threads must not keep the JVM alive");
        loader.close();
        for (Thread t : started) {
            t.join(5000);
            assertFalse(t.isAlive(), t.getName() + " still runs after close()");
        }
        assertFalse(loader.hasNext());
        IllegalStateException e = assertThrows(IllegalStateException.class, loader::next);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        loader.close(); // a second close is harmless
    }

    @Test
    void threadsEndOnceTheLastBatchIsTaken() throws InterruptedException {
        Set<Thread> before = decodeThreads();
        BatchLoader loader = loader(images(3)).optBatchSize(2).build();
        loader.next();
        loader.next();
        Set<Thread> started = decodeThreads();
        started.removeAll(before);
        for (Thread t : started) {
            t.join(5000);
            assertFalse(t.isAlive(), t.getName() + " still runs after the last batch");
        }
    }

    @Test
    void validatesLabelsAndConfigurationUpFront() {
        List<LabeledImage> images = new ArrayList<>(images(2));
        images.add(new LabeledImage(dir.resolve("c.png"), "c"));
        TransferKitException unknown = assertThrows(TransferKitException.class, () -> loader(images).build());
        assertTrue(unknown.getMessage().contains(dir.resolve("c.png") + " has the label 'c', which is not one of the 2 classes [a, b]"),
                unknown.getMessage());
        dev.transferkit.core.MissingSettingException missing = assertThrows(dev.transferkit.core.MissingSettingException.class,
                () -> BatchLoader.builder().setImages(images).build());
        assertTrue(missing.getMessage().contains("missing: setPipeline, setLabelEncoder"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder().optBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder().optThreads(0));
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder().optPrefetch(-1));
        try (BatchLoader none = loader(List.of()).build()) {
            assertEquals(0, none.numBatches());
            assertFalse(none.hasNext());
        }
    }
}
