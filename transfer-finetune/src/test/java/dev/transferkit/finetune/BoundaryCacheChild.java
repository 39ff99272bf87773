package dev.transferkit.finetune;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.List;

/**
 * Child-JVM main for the kill test: {@code BoundaryCacheChild <dir> <batch>} fills the cache {@value #NAME} in
 * {@code dir} with {@link #values} and, when asked for the given batch (0-based), prints "blocked" and waits to be
 * killed, with the batches before it committed.
 */
public final class BoundaryCacheChild {
    static final String NAME = "phase2-train";
    static final int IMAGES = 23;
    static final BoundaryCache.Key KEY = new BoundaryCache.Key(null, 2, List.of("a", "b"), "test", 4);

    private BoundaryCacheChild() {
    }

    /**
     * Two boundary values per image, of shapes [2, 3] and [5], computed from the image index alone.
     *
     * @param idx image indices
     * @return their values, the batch first
     */
    static INDArray[] values(int[] idx) {
        float[] a = new float[idx.length * 6];
        float[] b = new float[idx.length * 5];
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < 6; j++) {
                a[i * 6 + j] = (float) Math.sin(idx[i] * 31.7 + j);
            }
            for (int j = 0; j < 5; j++) {
                b[i * 5 + j] = (float) Math.cos(idx[i] * 7.3 - j) * 1e-3f;
            }
        }
        return new INDArray[]{Nd4j.create(a, new long[]{idx.length, 2, 3}, 'c'),
                Nd4j.create(b, new long[]{idx.length, 5}, 'c')};
    }

    /**
     * @param args the cache directory and the batch to block at
     */
    public static void main(String[] args) {
        int block = Integer.parseInt(args[1]);
        int first = block * KEY.batchSize();
        BoundaryCache.open(Path.of(args[0]), NAME, KEY, IMAGES, idx -> {
            if (idx[0] == first) {
                System.out.println("blocked");
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return values(idx);
        }).close();
        System.out.println("finished without blocking");
    }
}
