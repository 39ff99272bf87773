package dev.transferkit.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.model.BaseModel;
import dev.transferkit.testing.ChildJvm;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The on-disk cache of the frozen prefix's activations: exact rows, resumed after a kill, never reused for another run. */
class BoundaryCacheTest {
    @TempDir
    static Path tmp;
    static ImageFolder data;
    static final BaseModel BASE = TestData.tinyModel();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeData() throws Exception {
        data = ImageFolder.open(TestData.redBlue(tmp.resolve("data"), 16, 6));
    }

    private static ImageSet images(String split) {
        return ImageSet.of(data.images(split), data.labelEncoder(), BASE.pipeline(ImageOptions.defaults()), split);
    }

    /**
     * in → c1 → bn1 → c2 (1x1) → bn2, merge(bn2, bn1) → gap → out: with c1, bn1 and c2 frozen the tail reads two
     * values of different sizes, bn1 (4 channels) and c2 (6).
     */
    private static ComputationGraph twoValueBoundaryNetwork() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 2).activation(Activation.RELU).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "c1")
                .addLayer("c2", new ConvolutionLayer.Builder(1, 1).nOut(6).activation(Activation.RELU).build(), "bn1")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "c2")
                .addVertex("merge", new MergeVertex(), "bn2", "bn1")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "merge")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        g.setParams(g.params().add(Nd4j.rand(new Random(3).nextLong(), g.params().shape()).mul(0.5)));
        return g;
    }

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    private static int[] shuffled(int n, long seed) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        java.util.Collections.shuffle(order, new Random(seed));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] floats(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static int committed(Path meta) throws IOException {
        return JSON.readTree(meta.toFile()).get("committed").asInt();
    }

    @Test
    void cachedActivationsAreBitwiseWhatThePrefixComputesForShuffledBatchesOfATwoValueBoundary() {
        ImageSet train = images("train");
        ImageSet validation = images("validation");
        int batch = 5;
        try (FrozenPrefix split = FrozenPrefix.split(twoValueBoundaryNetwork(), Set.of("c1", "bn1", "c2"), BASE.inputSpec())) {
            assertEquals(List.of("bn1", "c2"), split.boundary());
            // What the prefix computes, in the batches the cache computes it in.
            Function<ImageSet, List<INDArray[]>> prefixRows = set -> {
                List<INDArray[]> rows = new ArrayList<>();
                for (int first = 0; first < set.size(); first += batch) {
                    INDArray[] b = split.forward(set.batch(range(first, Math.min(set.size(), first + batch)), null, null));
                    for (int i = 0; i < b[0].size(0); i++) {
                        rows.add(new INDArray[]{b[0].slice(i).dup(), b[1].slice(i).dup()});
                    }
                }
                return rows;
            };
            List<INDArray[]> trainRows = prefixRows.apply(train);
            List<INDArray[]> validationRows = prefixRows.apply(validation);
            Path checkpointCaches = tmp.resolve("bitwise");
            for (Path cacheDir : Arrays.asList(checkpointCaches, null)) {
                try (FeatureSource source = split.source(train, validation, Augmentation.none(), batch, cacheDir,
                        new RunFingerprint("settings", "model", "data"), 1)) {
                    int[] order = shuffled(train.size(), 3);
                    for (int start = 0; start < order.length; start += 7) {
                        int[] idx = Arrays.copyOfRange(order, start, Math.min(order.length, start + 7));
                        assertRows(trainRows, idx, source.train(idx, new Random(1)));
                    }
                    int[] val = shuffled(validation.size(), 4);
                    assertRows(validationRows, val, source.validation(val));
                }
            }
            long rowBytes = (4 + 6) * 7 * 7 * Float.BYTES;
            assertEquals(train.size() * rowBytes, checkpointCaches.resolve("phase1-train.rows").toFile().length());
            assertEquals(validation.size() * rowBytes, checkpointCaches.resolve("phase1-validation.rows").toFile().length());
        }
    }

    private static void assertRows(List<INDArray[]> expected, int[] idx, INDArray[] actual) {
        assertEquals(2, actual.length);
        for (int k = 0; k < 2; k++) {
            long[] shape = expected.get(0)[k].shape();
            long[] batchShape = new long[shape.length + 1];
            batchShape[0] = idx.length;
            System.arraycopy(shape, 0, batchShape, 1, shape.length);
            assertArrayEquals(batchShape, actual[k].shape());
            for (int i = 0; i < idx.length; i++) {
                assertArrayEquals(floats(expected.get(idx[i])[k]), floats(actual[k].slice(i)), "image " + idx[i] + ", value " + k);
            }
        }
    }

    @Test
    void aCacheKilledWhileBeingWrittenContinuesAfterItsLastCommittedRowAndEndsWithTheSameRows() throws Exception {
        String name = BoundaryCacheChild.NAME;
        BoundaryCache.Key key = BoundaryCacheChild.KEY;
        int images = BoundaryCacheChild.IMAGES;
        Path reference = tmp.resolve("uninterrupted");
        BoundaryCache.open(reference, name, key, images, BoundaryCacheChild::values).close();

        Path dir = tmp.resolve("killed");
        try (ChildJvm child = ChildJvm.start(BoundaryCacheChild.class, dir.toString(), "3")) {
            child.awaitLine("blocked");
            child.kill();
        }
        Path rows = dir.resolve(name + BoundaryCache.ROWS);
        Path meta = dir.resolve(name + BoundaryCache.META);
        assertEquals(12, committed(meta), "three batches of 4 were committed before the kill");
        // Rows written but not committed when the process died: bytes past the committed ones.
        byte[] junk = new byte[66];
        Arrays.fill(junk, (byte) 0x7f);
        Files.write(rows, junk, StandardOpenOption.APPEND);

        List<Integer> computed = new ArrayList<>();
        try (BoundaryCache cache = BoundaryCache.open(dir, name, key, images, idx -> {
            Arrays.stream(idx).forEach(computed::add);
            return BoundaryCacheChild.values(idx);
        })) {
            assertEquals(IntStream.range(12, images).boxed().toList(), computed, "only the uncommitted rows are computed");
            assertEquals(images, cache.committed());
            int[] idx = shuffled(images, 5);
            INDArray[] got = cache.rows(idx);
            INDArray[] expected = BoundaryCacheChild.values(idx);
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(floats(expected[k]), floats(got[k]));
            }
        }
        assertEquals(-1, Files.mismatch(rows, reference.resolve(name + BoundaryCache.ROWS)), "the same bytes as an uninterrupted cache");
        assertEquals(Files.readString(reference.resolve(name + BoundaryCache.META)), Files.readString(meta));
        BoundaryCache.open(dir, name, key, images, idx -> fail("a complete cache computes nothing")).close();
    }

    @Test
    void aCacheOfAnotherRunPhaseBoundaryPrefixOrBatchSizeIsComputedAgain() throws IOException {
        BoundaryCache.Key key = new BoundaryCache.Key(new RunFingerprint("settings", "model", "data"), 1, List.of("a", "b"),
                "dl4j sha256:00", 4);
        List<BoundaryCache.Key> others = List.of(
                new BoundaryCache.Key(new RunFingerprint("settings", "model", "other data"), 1, List.of("a", "b"), "dl4j sha256:00", 4),
                new BoundaryCache.Key(key.run(), 2, key.boundary(), key.prefix(), 4),
                new BoundaryCache.Key(key.run(), 1, List.of("b", "a"), key.prefix(), 4),
                new BoundaryCache.Key(key.run(), 1, key.boundary(), "onnxruntime sha256:00", 4),
                new BoundaryCache.Key(key.run(), 1, key.boundary(), key.prefix(), 5));
        assertNull(key.mismatch(new BoundaryCache.Key(new RunFingerprint("settings", "model", "data"), 1, List.of("a", "b"),
                "dl4j sha256:00", 4)));
        assertEquals("it holds phase 1's activations, not phase 2's", others.get(1).mismatch(key));
        assertEquals("its boundary is [a, b], not [b, a]", others.get(2).mismatch(key));
        Path dir = tmp.resolve("keys");
        int images = 10;
        int[] all = range(0, images);
        Function<int[], INDArray[]> shiftedValues = idx -> BoundaryCacheChild.values(Arrays.stream(idx).map(i -> i + 100).toArray());
        for (BoundaryCache.Key other : others) {
            BoundaryCache.open(dir, "c", key, images, BoundaryCacheChild::values).close();
            BoundaryCache.open(dir, "c", key, images, idx -> fail("the same key reuses the cache")).close();
            assertTrue(other.mismatch(key) != null, other.toString());
            AtomicInteger computed = new AtomicInteger();
            try (BoundaryCache cache = BoundaryCache.open(dir, "c", other, images, idx -> {
                computed.addAndGet(idx.length);
                return shiftedValues.apply(idx);
            })) {
                assertEquals(images, computed.get(), other + " reused the cache written for " + key);
                assertArrayEquals(floats(shiftedValues.apply(all)[1]), floats(cache.rows(all)[1]));
            }
        }
        // Another number of images, metadata that cannot be read, rows without metadata (killed before the first
        // commit): all computed again.
        BoundaryCache.open(dir, "c", key, images, BoundaryCacheChild::values).close();
        AtomicInteger computed = new AtomicInteger();
        Function<int[], INDArray[]> counting = idx -> {
            computed.addAndGet(idx.length);
            return BoundaryCacheChild.values(idx);
        };
        BoundaryCache.open(dir, "c", key, images + 1, counting).close();
        assertEquals(images + 1, computed.getAndSet(0));
        Files.writeString(dir.resolve("c" + BoundaryCache.META), "{\"format\": \"transferkit-boundary-cache\", \"vers");
        BoundaryCache.open(dir, "c", key, images, counting).close();
        assertEquals(images, computed.getAndSet(0));
        Files.delete(dir.resolve("c" + BoundaryCache.META));
        BoundaryCache.open(dir, "c", key, images, counting).close();
        assertEquals(images, computed.getAndSet(0));
        // Committed rows the file does not hold (a truncated copy): computed again.
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("c" + BoundaryCache.ROWS), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1);
        }
        BoundaryCache.open(dir, "c", key, images, counting).close();
        assertEquals(images, computed.getAndSet(0));
    }

    @Test
    void aTemporaryCacheDirectoryIsDeletedWhenTheSourceClosesOrFailsAndACheckpointOneStays() throws IOException {
        ImageSet train = images("train");
        ImageSet validation = images("validation");
        BoundaryCache.Key key = new BoundaryCache.Key(null, 1, List.of("x"), null, 8);
        Function<INDArray, INDArray[]> prefix = x -> new INDArray[]{x.mul(2)}; // stands in for the frozen prefix
        Path temporary = Files.createDirectories(tmp.resolve("temporary"));
        try (FeatureSource source = FeatureSource.prefixed(prefix, train, validation, Augmentation.none(), key, temporary, true)) {
            assertTrue(Files.exists(temporary.resolve("phase1-train.rows")) && Files.exists(temporary.resolve("phase1-validation.rows")));
            int[] idx = {5, 0, 31};
            assertArrayEquals(floats(train.batch(idx, null, null).mul(2)), floats(source.train(idx, new Random(1))[0]));
        }
        assertFalse(Files.exists(temporary), "deleted on close");

        for (boolean isTemporary : new boolean[]{true, false}) {
            Path dir = Files.createDirectories(tmp.resolve("failing-" + isTemporary));
            AtomicInteger calls = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> FeatureSource.prefixed(x -> {
                if (calls.incrementAndGet() == 3) {
                    throw new IllegalStateException("the prefix failed");
                }
                return prefix.apply(x);
            }, train, validation, Augmentation.none(), key, dir, isTemporary));
            assertEquals("the prefix failed", e.getMessage());
            if (isTemporary) {
                assertFalse(Files.exists(dir), "deleted when the source cannot be made");
            } else {
                assertEquals(16, committed(dir.resolve("phase1-train" + BoundaryCache.META)), "kept for a resumed run, incomplete");
            }
        }
    }

    @Test
    void aCheckpointedRunReusesItsCachesWhenResumedAndDeletesThemWhenAPhaseEnds() throws IOException {
        Path dir = tmp.resolve("checkpoints");
        Path caches = dir.resolve(FineTuneRun.BOUNDARY_CACHE);
        class Stop extends RuntimeException {
        }
        assertThrows(Stop.class, () -> CheckpointTest.tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir)
                .optListener(new FineTuneListener() {
                    @Override
                    public void onEpochEnd(EpochStats stats) {
                        throw new Stop();
                    }
                }).build().fit(data, "train", "validation"));
        Path trainMeta = caches.resolve("phase1-train" + BoundaryCache.META);
        assertEquals(32, committed(trainMeta));
        assertEquals(12, committed(caches.resolve("phase1-validation" + BoundaryCache.META)));
        FileTime written = Files.getLastModifiedTime(trainMeta);
        List<String> seen = new ArrayList<>();
        CheckpointTest.tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).optListener(new FineTuneListener() {
            @Override
            public void onEpochEnd(EpochStats stats) {
                try {
                    if (stats.phase() == 1) {
                        assertEquals(written, Files.getLastModifiedTime(trainMeta), "the resumed phase reuses the cache");
                    } else {
                        assertTrue(Files.exists(caches.resolve("phase2-train" + BoundaryCache.META)));
                        assertFalse(Files.exists(trainMeta), "phase 1's cache is deleted when phase 1 ends");
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                seen.add(stats.phase() + "." + stats.epoch());
            }
        }).build().fit(data, "train", "validation");
        assertEquals(List.of("1.2", "1.3", "2.1", "2.2", "2.3"), seen);
        assertFalse(Files.exists(caches), "a finished run leaves no cache");
    }
}
