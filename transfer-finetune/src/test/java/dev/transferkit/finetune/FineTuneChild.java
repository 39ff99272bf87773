package dev.transferkit.finetune;

import dev.transferkit.image.ImageFolder;

import java.nio.file.Path;

/**
 * Child-JVM main for the kill test: {@code FineTuneChild <data> <checkpoint-dir> <phase> <epoch> <batch>} fine-tunes
 * {@link CheckpointTest#tuner} with checkpoints and, when it reaches the given batch, prints "blocked" and waits to
 * be killed in the middle of that epoch.
 */
public final class FineTuneChild {
    private FineTuneChild() {
    }

    /**
     * @param args data directory, checkpoint directory, phase, epoch and batch to block at
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        int phase = Integer.parseInt(args[2]);
        int epoch = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        FineTuneListener blocker = new FineTuneListener() {
            @Override
            public void onBatchEnd(int p, int e, int b, int batches) {
                if (p == phase && e == epoch && b == batch) {
                    System.out.println("blocked");
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        CheckpointTest.tuner(TestData.tinyModel(), Augmentation.none()).optCheckpointDir(Path.of(args[1])).optListener(blocker)
                .build().fit(ImageFolder.open(Path.of(args[0])), "train", "validation");
        System.out.println("finished without blocking");
    }
}
