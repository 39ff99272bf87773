package dev.transferkit.store;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Measures writing and reading a store (not a test). Arguments: rows dim batch chunkRows compressionLevel, default
 * {@code 10000 2048 64 0 4} (chunk rows 0: the writer's default). Two kinds of data: Gaussian noise (hardly compressible) and the same noise through a
 * ReLU (half zeros, like pooled CNN activations).
 */
public final class StoreWriteBenchmark {
    private StoreWriteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int chunk = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        int level = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        Nd4j.getRandom().setSeed(1);
        INDArray noise = Nd4j.randn(DataType.FLOAT, rows, dim);
        Path dir = Files.createTempDirectory("store-bench");
        for (String kind : List.of("gaussian", "relu")) {
            INDArray data = kind.equals("relu") ? Transforms.relu(noise, true) : noise;
            Path file = dir.resolve(kind + ".h5");
            long t0 = System.nanoTime();
            try (FeatureStoreWriter w = FeatureStoreWriter.builder().setPath(file).setSpec(TestStores.spec(dim))
                    .optExpectedRows(rows).optChunkRows(chunk > 0 ? chunk : FeatureStoreWriter.defaultChunkRows(dim)).optCompressionLevel(level).build()) {
                for (int r = 0; r < rows; r += batch) {
                    int n = Math.min(batch, rows - r);
                    w.append(data.get(NDArrayIndex.interval(r, r + n), NDArrayIndex.all()), TestStores.labels(r, n),
                            TestStores.paths(r, n));
                }
                w.markComplete();
            }
            double writeS = (System.nanoTime() - t0) / 1e9;
            double rawMb = rows * (double) dim * 4 / 1e6;
            double fileMb = Files.size(file) / 1e6;
            long t1 = System.nanoTime();
            double check = 0;
            try (FeatureStore store = FeatureStore.open(file)) {
                StoreDataSetIterator it = StoreDataSetIterator.builder().setStore(store).setBatchSize(batch).build();
                while (it.hasNext()) {
                    check += it.next().getFeatures().getFloat(0, 0);
                }
            }
            double readS = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "%-8s %d x %d, batch %d, chunk %d, gzip %d: write %.2f s = %.0f rows/s = %.1f MB/s;"
                            + " file %.1f MB vs raw %.1f MB (%.2fx); shuffled read epoch %.2f s = %.0f rows/s (%s)%n",
                    kind, rows, dim, batch, chunk > 0 ? chunk : FeatureStoreWriter.defaultChunkRows(dim), level, writeS, rows / writeS, rawMb / writeS, fileMb, rawMb,
                    fileMb / rawMb, readS, rows / readS, check != 0 ? "ok" : "?");
            Files.delete(file);
        }
        try (var s = Files.list(dir)) {
            s.forEach(p -> p.toFile().delete());
        }
        Files.delete(dir);
        System.out.println("args " + Arrays.toString(args));
    }
}
