package dev.transferkit.examples.bench;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.StoreSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Synthetic feature stores shaped like a CNN's flattened activations, for {@link HeadBench}: non-negative (ReLU)
 * features that are correlated through a rank-32 factor shared by all rows, plus per-class shifts of a random 2% of
 * the features, plus independent noise. The shift size sets how separable the classes are. Classes are imbalanced
 * (weights 1, 0.7, 0.5, ...), so balanced accuracy differs from accuracy. Deterministic for a seed.
 */
final class SyntheticStores {
    private static final int RANK = 32;
    private static final int BATCH = 500;

    private final int dim;
    private final int classes;
    private final INDArray factors;
    private final INDArray classMeans;
    private final double[] classCumulative;
    private final Random random;

    /**
     * @param dim     feature dimension
     * @param classes number of classes, at least 2
     * @param signal  the shift of a class's signal features, in units of the noise's standard deviation
     * @param seed    the seed
     */
    SyntheticStores(int dim, int classes, double signal, long seed) {
        this.dim = dim;
        this.classes = classes;
        this.random = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        this.factors = Nd4j.randn(random, RANK, dim).castTo(DataType.FLOAT).muli(1 / Math.sqrt(RANK));
        INDArray mask = Nd4j.rand(random, classes, dim).lt(0.02).castTo(DataType.FLOAT);
        this.classMeans = mask.muli(signal);
        double[] weights = new double[classes];
        double total = 0;
        for (int c = 0; c < classes; c++) {
            weights[c] = 1.0 / (1 + 0.43 * c);
            total += weights[c];
        }
        this.classCumulative = new double[classes];
        double acc = 0;
        for (int c = 0; c < classes; c++) {
            acc += weights[c] / total;
            classCumulative[c] = acc;
        }
    }

    /** @return the class names: class0, class1, ... */
    List<String> labels() {
        List<String> out = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            out.add("class" + c);
        }
        return out;
    }

    /**
     * Writes a complete store of fresh rows.
     *
     * @param file the store to create (replaced when it exists)
     * @param rows the number of rows
     * @param name a prefix for the rows' paths
     */
    void write(Path file, int rows, String name) {
        StoreSpec spec = StoreSpec.builder().setModel("synthetic").setLayer("relu-features").setPooling(Pooling.FLATTEN)
                .setPreprocessing(Preprocessing.NONE).setInputSpec(new InputSpec(224, 224, 3, DataFormat.NCHW))
                .setFeatureDim(dim).setLabelNames(labels()).build();
        try (FeatureStoreWriter writer = FeatureStoreWriter.builder().setPath(file).setSpec(spec).optExpectedRows(rows)
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).optCompressionLevel(0).build()) {
            for (int start = 0; start < rows; start += BATCH) {
                int n = Math.min(BATCH, rows - start);
                int[] y = new int[n];
                List<String> paths = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    double u = random.nextDouble();
                    int c = 0;
                    while (c < classes - 1 && u > classCumulative[c]) {
                        c++;
                    }
                    y[i] = c;
                    paths.add(name + "/" + (start + i));
                }
                INDArray z = Nd4j.randn(random, n, RANK).castTo(DataType.FLOAT);
                INDArray x = z.mmul(factors).addi(Nd4j.pullRows(classMeans, 1, y))
                        .addi(Nd4j.randn(random, n, dim).castTo(DataType.FLOAT)).subi(0.5);
                writer.append(Transforms.relu(x, false), y, paths);
            }
            writer.markComplete();
        }
    }
}
