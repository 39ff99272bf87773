package dev.transferkit.finetune;

import dev.transferkit.testing.ChildJvm;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    @TempDir
    static Path tmp;
    static ImageFolder data;
    static final Augmentation AUGMENT = Augmentation.builder().optRotation(20).optHorizontalFlip(true).optBrightness(0.8, 1.2).build();

    @BeforeAll
    static void makeData() throws Exception {
        data = ImageFolder.open(TestData.redBlue(tmp.resolve("data"), 16, 6));
    }

    /** Both phases, dropout, early-stopping state, 4 batches per epoch. */
    static FineTuner.Builder tuner(BaseModel base, Augmentation augmentation) {
        return FineTuner.builder().setBaseModel(base).optHead(new int[]{8}, 0.2).optBatchSize(8).optSeed(5)
                .optPhase1(3, 1e-2).optPhase2(3, "c2", 1e-3, FineTuner.Phase2Updater.ADAM).optEarlyStopping(3)
                .optAugmentation(augmentation);
    }

    /** Thrown by a listener to interrupt a run. */
    private static final class Interrupt extends RuntimeException {
        Interrupt(String message) {
            super(message);
        }
    }

    private static FineTuneListener interruptAfter(int phase, int epoch) {
        return new FineTuneListener() {
            @Override
            public void onEpochEnd(EpochStats stats) {
                if (stats.phase() == phase && stats.epoch() == epoch) {
                    throw new Interrupt("stop after phase " + phase + " epoch " + epoch);
                }
            }
        };
    }

    private static final class Counter implements FineTuneListener {
        final AtomicInteger batches = new AtomicInteger();
        final List<String> epochs = new ArrayList<>();

        @Override
        public void onBatchEnd(int phase, int epoch, int batch, int count) {
            batches.incrementAndGet();
        }

        @Override
        public void onEpochEnd(EpochStats stats) {
            epochs.add(stats.phase() + "." + stats.epoch());
        }
    }

    /** The history without the wall-clock seconds, which differ between runs. */
    private static List<List<Double>> scores(TrainingHistory h) {
        return h.epochs().stream().map(e -> List.of((double) e.phase(), (double) e.epoch(), e.trainLoss(), e.trainAccuracy(),
                e.validationLoss(), e.validationAccuracy())).toList();
    }

    private static float[] params(FineTuneResult r) {
        return r.model().baseModel().graph().params().dup().data().asFloat();
    }

    private static void assertSameRun(FineTuneResult expected, FineTuneResult actual) {
        assertEquals(scores(expected.history()), scores(actual.history()), "history");
        assertArrayEquals(params(expected), params(actual), "final parameters");
    }

    @Test
    void runInterruptedTwiceEndsLikeAnUninterruptedOne() throws Exception {
        for (Augmentation aug : List.of(Augmentation.none(), AUGMENT)) {
            FineTuneResult reference = tuner(TestData.tinyModel(), aug).build().fit(data, "train", "validation");
            Path dir = Files.createTempDirectory(tmp, "ckpt");
            Interrupt e = assertThrows(Interrupt.class, () -> tuner(TestData.tinyModel(), aug).optCheckpointDir(dir)
                    .optListener(interruptAfter(1, 2)).build().fit(data, "train", "validation"));
            assertEquals("stop after phase 1 epoch 2", e.getMessage());
            assertEquals(1, Checkpoint.read(dir.resolve("last.ckpt")).state.phase());
            assertEquals(2, Checkpoint.read(dir.resolve("last.ckpt")).state.epochsDone());
            Counter second = new Counter();
            assertThrows(Interrupt.class, () -> tuner(TestData.tinyModel(), aug).optCheckpointDir(dir)
                    .optListener(new FineTuneListener() {
                        @Override
                        public void onEpochEnd(EpochStats stats) {
                            second.onEpochEnd(stats);
                            interruptAfter(2, 1).onEpochEnd(stats);
                        }
                    }).build().fit(data, "train", "validation"));
            assertEquals(List.of("1.3", "2.1"), second.epochs, "the second run resumed after phase 1 epoch 2");
            Counter third = new Counter();
            FineTuneResult resumed = tuner(TestData.tinyModel(), aug).optCheckpointDir(dir).optListener(third).build()
                    .fit(data, "train", "validation");
            assertEquals(List.of("2.2", "2.3"), third.epochs);
            assertSameRun(reference, resumed);
            assertTrue(resumed.phase1Seconds() > 0 && resumed.phase2Seconds() > 0);
        }
    }

    @Test
    void childJvmKilledInTheMiddleOfAnEpochResumes() throws Exception {
        FineTuneResult reference = tuner(TestData.tinyModel(), Augmentation.none()).build().fit(data, "train", "validation");
        Path dir = Files.createTempDirectory(tmp, "killed");
        try (ChildJvm child = ChildJvm.start(FineTuneChild.class, data.root().toString(), dir.toString(), "2", "2", "3")) {
            child.awaitLine("blocked");
            child.kill();
        }
        Checkpoint left = Checkpoint.read(dir.resolve("last.ckpt"));
        assertEquals(2, left.state.phase());
        assertEquals(1, left.state.epochsDone(), "the checkpoint is the last finished epoch");
        Counter counter = new Counter();
        FineTuneResult resumed = tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).optListener(counter)
                .build().fit(data, "train", "validation");
        assertEquals(List.of("2.2", "2.3"), counter.epochs);
        assertSameRun(reference, resumed);
    }

    @Test
    void finishedRunIsReturnedWithoutTrainingAgain() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "done");
        FineTuneResult first = tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).build().fit(data, "train", "validation");
        Counter counter = new Counter();
        FineTuneResult again = tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).optListener(counter).build()
                .fit(data, "train", "validation");
        assertEquals(0, counter.batches.get());
        assertSameRun(first, again);
    }

    @Test
    void bestModelFileHoldsTheEpochWithTheLowestValidationLoss() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "best");
        FineTuneResult r = tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).build().fit(data, "train", "validation");
        TransferModel best = TransferModel.load(dir.resolve("best-model.zip"));
        double lowest = r.history().epochs().stream().mapToDouble(EpochStats::validationLoss).min().orElseThrow();
        assertEquals(lowest, TestData.validationLoss(best.baseModel(), data), 1e-4);
    }

    @Test
    void checkpointOfAnotherRunIsRefused() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "other");
        assertThrows(Interrupt.class, () -> tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir)
                .optListener(interruptAfter(1, 1)).build().fit(data, "train", "validation"));
        Path file = dir.resolve("last.ckpt");

        CheckpointException e = assertThrows(CheckpointException.class, () -> tuner(TestData.tinyModel(), Augmentation.none())
                .optSeed(6).optCheckpointDir(dir).build().fit(data, "train", "validation"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("different training settings"), e.getMessage());

        BaseModel changed = TestData.tinyModel();
        changed.graph().getLayer("c1").getParam("W").putScalar(0, 0.123f);
        e = assertThrows(CheckpointException.class, () -> tuner(changed, Augmentation.none()).optCheckpointDir(dir).build()
                .fit(data, "train", "validation"));
        assertTrue(e.getMessage().contains("different base model"), e.getMessage());

        Path fewer = TestData.redBlue(tmp.resolve("fewer"), 16, 6);
        Files.delete(fewer.resolve("train/red/3.png"));
        e = assertThrows(CheckpointException.class, () -> tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir)
                .build().fit(ImageFolder.open(fewer), "train", "validation"));
        assertTrue(e.getMessage().contains("different training data") && e.getMessage().contains("31 images"), e.getMessage());
    }

    @Test
    void damagedCheckpointIsRefusedAndAnUnfinishedWriteIsIgnored() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "damaged");
        assertThrows(Interrupt.class, () -> tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir)
                .optListener(interruptAfter(1, 1)).build().fit(data, "train", "validation"));
        Path file = dir.resolve("last.ckpt");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> tuner(TestData.tinyModel(), Augmentation.none())
                .optCheckpointDir(dir).build().fit(data, "train", "validation"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("damaged"), e.getMessage());

        // An atomic write killed half-way leaves only its temporary file, which is never read.
        Files.delete(file);
        Files.write(dir.resolve(".last.ckpt.4711.part"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Counter counter = new Counter();
        tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(dir).optListener(counter).build().fit(data, "train", "validation");
        assertEquals("1.1", counter.epochs.get(0), "started from the beginning");
    }

    @Test
    void checkpointRoundTripsEveryField() throws IOException {
        Checkpoint.State state = new Checkpoint.State(new RunFingerprint("settings", "model sha256:ab", "data sha256:cd"), 2, 3, true, 1,
                0.25, Double.POSITIVE_INFINITY, 17, 2, new double[]{1.5, 2.5},
                List.of(new EpochStats(1, 1, 0.5, 0.75, Double.NaN, Double.NaN, 0.1)));
        INDArray params = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10);
        Path file = tmp.resolve("roundtrip.ckpt");
        new Checkpoint(state, params, null, params.mul(2)).write(file);
        Checkpoint read = Checkpoint.read(file);
        assertEquals(state.fingerprint(), read.state.fingerprint());
        assertEquals(List.of(2, 3, 1, 17, 2), List.of(read.state.phase(), read.state.epochsDone(), read.state.sinceBest(),
                read.state.iterationCount(), read.state.epochCount()));
        assertTrue(read.state.stopped());
        assertEquals(Double.POSITIVE_INFINITY, read.state.bestRunLoss());
        assertArrayEquals(new double[]{1.5, 2.5}, read.state.phaseSeconds());
        assertEquals(state.history(), read.state.history());
        assertEquals(params, read.params);
        assertEquals(params.mul(2), read.bestParams);
        assertEquals(null, read.updater);
        assertFalse(Files.list(tmp).anyMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary file left");
    }

    @Test
    void aCheckpointOfTheOlderFormatIsRefusedSayingWhy() throws IOException {
        Checkpoint.State state = new Checkpoint.State(new RunFingerprint("cut=c2, head=[8]", "model sha256:ab", "data sha256:cd"),
                1, 1, false, 0, 0.5, 0.5, 4, 1, new double[]{1, 0}, List.of());
        Path current = tmp.resolve("current.ckpt");
        new Checkpoint(state, Nd4j.zeros(3), null, null).write(current);
        Path old = tmp.resolve("version1.ckpt");
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(Files.newInputStream(current));
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(old))) {
            for (java.util.zip.ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().equals(Checkpoint.META)) {
                    String json = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    assertTrue(json.contains("\"version\" : " + Checkpoint.VERSION), json);
                    bytes = json.replace("\"version\" : " + Checkpoint.VERSION, "\"version\" : 1")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(old));
        assertTrue(e.getMessage().contains(old.toString()) && e.getMessage().contains("format version 1")
                && e.getMessage().contains("fingerprints every training setting") && e.getMessage().contains("delete it"),
                e.getMessage());
    }
}
