package dev.transferkit.extract;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The main class of the child JVMs that {@link ExtractionKillResumeTest} kills: extracts (or resumes) the "train"
 * split of a dataset with the tiny test network, printing "ready" once the model is built, "batch N" after every
 * committed batch (N images done) and "complete ROWS" at the end.
 *
 * <p>Usage: {@code ExtractionChild DATA_DIR STORE BATCH_SIZE PAUSE_MS}; PAUSE_MS slows every batch down so that a
 * kill at a random moment lands in the middle of the run rather than after it; -1 holds the run after every batch
 * until the file {@code STORE.continue} exists.
 */
public final class ExtractionChild {
    private ExtractionChild() {
    }

    /**
     * @param args dataset folder, store file, batch size, pause per batch in milliseconds
     */
    public static void main(String[] args) {
        Path data = Path.of(args[0]);
        Path store = Path.of(args[1]);
        int batch = Integer.parseInt(args[2]);
        long pause = Long.parseLong(args[3]);
        FeatureExtractor extractor = extractor(batch, p -> {
            System.out.println("batch " + p.done());
            System.out.flush();
            try {
                if (pause > 0) {
                    Thread.sleep(pause);
                }
                // A negative pause holds the run after its first batch until the test creates STORE.continue.
                while (pause < 0 && !Files.exists(Path.of(store + ".continue"))) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        System.out.println("ready");
        System.out.flush();
        try (FeatureStore s = extractor.extract(ImageFolder.open(data), "train", store)) {
            System.out.println("complete " + s.rows());
        }
    }

    /** The extractor both the child and the test's reference run use: same network, layer, pooling and batching. */
    static FeatureExtractor extractor(int batch, ProgressListener listener) {
        return FeatureExtractor.of(ExtractionSettings.builder().setModel(TinyNetworks.baseModel(List.of("blue", "red")))
                .optBatchSize(batch).optThreads(1).optListener(listener).build());
    }
}
