package dev.transferkit.examples.bench;

import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.StoreSpec;
import org.bytedeco.javacpp.Pointer;
import dev.transferkit.engine.BatchMemory;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Checks that off-heap memory stays flat over a long extraction: runs B batches of 32 random 64x64 images through the
 * same path as {@code FeatureExtractor} (a float[] batch buffer turned into an INDArray by {@link ImagePipeline}, the
 * {@link FeaturePipeline} forward pass and pooling, and an HDF5 {@link FeatureStoreWriter} append per batch) and
 * prints, every 100 batches, the resident set size, the committed Java heap (part of the RSS), their difference (native
 * memory: ND4J, HDF5, the JVM itself), JavaCPP's tracked native bytes ({@code Pointer.totalBytes()}) and the heap in
 * use. No GC is forced: the numbers are what a real run sees. Run it in its own JVM with a fixed, pre-touched heap
 * ({@code -Xms128m -Xmx128m -XX:+AlwaysPreTouch}) so that neither a growing heap nor committed heap pages touched for the
 * first time (which a long run does as it allocates through its young generation) are taken for a native leak; it says
 * when the heap is not pre-touched.
 *
 * <p>Each batch runs in {@link BatchMemory}'s workspace, as in {@code ExtractionLoop}; with {@code no-workspace} it
 * allocates and closes its arrays instead, as the loop did before (the blocks
 * it frees stay with the C allocator; see docs/PERFORMANCE.md).
 *
 * <p>Usage: {@code OffHeapBench [BATCHES=1000] [work-dir] [gc] [no-workspace]}; with {@code gc} a full GC runs before
 * each sample, which separates memory still referenced from memory merely not yet collected:
 * {@code MAVEN_OPTS=-Xmx512m mvn -q -B -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.OffHeapBench -Dexec.args=1000}.
 */
public final class OffHeapBench {
    private static final int BATCH = 32;
    private static final int SIZE = 64;

    private OffHeapBench() {
    }

    /**
     * @param args number of batches (default 1000), optional work directory
     * @throws IOException when the work directory cannot be created or /proc cannot be read
     */
    public static void main(String[] args) throws IOException {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Path work = args.length > 1 ? Files.createDirectories(Path.of(args[1])) : Files.createTempDirectory("transferkit-offheap-");
        boolean gcBeforeSample = List.of(args).contains("gc");
        boolean noWorkspace = List.of(args).contains("no-workspace");
        InputSpec input = new InputSpec(SIZE, SIZE, 3, DataFormat.NCHW);
        BaseModel model = BaseModel.builder().setName("offheap-bench-cnn").setGraph(ExtractionMemoryBench.network())
                .setInputSpec(input).setPreprocessing(Preprocessing.UNIT).optFeatureLayers(List.of("conv3"))
                .optProvenance(Map.of("source", "random weights, seed 7")).build();
        FeaturePipeline features = new FeaturePipeline(model, "conv3", Pooling.AVG);
        ImagePipeline images = model.pipeline(ImageOptions.defaults());
        StoreSpec spec = StoreSpec.builder().setModel(model.name()).setLayer("conv3").setPooling(Pooling.AVG)
                .setPreprocessing(Preprocessing.UNIT).setInputSpec(input).setFeatureDim(64)
                .setLabelNames(List.of("a", "b")).build();
        Path store = work.resolve("offheap.h5");
        Random random = new Random(1);
        float[] buffer = new float[BATCH * images.valuesPerImage()];
        int[] labels = new int[BATCH];
        if (!java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch")) {
            System.out.println("# the heap is not pre-touched (-XX:+AlwaysPreTouch): its pages count in the RSS only once"
                    + " touched, so RSS grows while the young generation is first used, without any native growth");
        }
        System.out.println("batch,images,rssMB,heapCommittedMB,rssMinusHeapMB,javacppTotalMB,heapUsedMB");
        List<double[]> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        try (FeatureStoreWriter writer = FeatureStoreWriter.builder().setPath(store).setSpec(spec)
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).optExpectedRows((long) batches * BATCH).build()) {
            for (int b = 1; b <= batches; b++) {
                for (int i = 0; i < buffer.length; i++) {
                    buffer[i] = random.nextFloat();
                }
                List<String> paths = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    paths.add("image-" + ((b - 1) * BATCH + i) + ".png");
                    labels[i] = i % 2;
                }
                if (noWorkspace) {
                    INDArray x = images.toArray(buffer);
                    INDArray f = features.features(x);
                    writer.append(f, labels, paths);
                    f.close(); // ND4J keeps the native memory until the arrays are garbage-collected
                    x.close();
                } else {
                    try (MemoryWorkspace memory = BatchMemory.open()) { // as ExtractionLoop does for every batch
                        writer.append(features.features(images.toArray(buffer)), labels, paths);
                    }
                }
                if (b == 1 || b % 100 == 0) {
                    if (gcBeforeSample) {
                        System.gc(); // ND4J frees a buffer's native memory when its INDArray is collected
                    }
                    double[] s = sample(b);
                    samples.add(s);
                    System.out.printf("%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f%n", b, b * BATCH, s[1], s[5], s[1] - s[5], s[2], s[4]);
                }
            }
            writer.markComplete();
        }
        try (FeatureStore s = FeatureStore.open(store)) {
            System.out.printf("rows=%d in %.1f s; store %.1f MB%n", s.rows(), (System.nanoTime() - t0) / 1e9,
                    Files.size(store) / 1e6);
        }
        summarise(samples);
    }

    private static double[] sample(int batch) throws IOException {
        Runtime rt = Runtime.getRuntime();
        return new double[]{batch, Machine.statusKb("VmRSS") / 1024.0, Pointer.totalBytes() / 1048576.0, Pointer.physicalBytes() / 1048576.0,
                (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.totalMemory() / 1048576.0};
    }

    /** Prints the growth of each measure from batch 100 (after warm-up) to the last sample. */
    private static void summarise(List<double[]> samples) {
        double[] first = samples.stream().filter(s -> s[0] >= 100).findFirst().orElse(samples.get(0));
        double[] last = samples.get(samples.size() - 1);
        double maxRss = samples.stream().filter(s -> s[0] >= 100).mapToDouble(s -> s[1]).max().orElse(first[1]);
        double minRss = samples.stream().filter(s -> s[0] >= 100).mapToDouble(s -> s[1]).min().orElse(first[1]);
        System.out.printf("from batch %d to %d: RSS %+.1f MB (range %.1f-%.1f MB), RSS minus committed heap %+.1f MB,"
                        + " JavaCPP total %+.1f MB%n", (int) first[0], (int) last[0], last[1] - first[1], minRss, maxRss,
                (last[1] - last[5]) - (first[1] - first[5]), last[2] - first[2]);
    }

}
