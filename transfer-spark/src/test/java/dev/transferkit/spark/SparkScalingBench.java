package dev.transferkit.spark;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.model.TinyNetworks;
import dev.transferkit.store.FeatureStore;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures, in one run, the single-machine extractor against Spark local[1] and local[2] on the same generated images:
 * throughput, the scaling from one to two Spark cores, and the per-image time Spark adds over the single-machine
 * extractor. Every configuration is warmed up on 64 images, then run {@value #ROUNDS} times; the fastest run counts. Not a test: run it by hand (docs/SPARK.md) and report the machine's load with the numbers.
 *
 * <pre>SparkScalingBench &lt;tiny|mobilenet_v2&gt; &lt;images&gt; [partitions] [batch] [spark-first]</pre>
 */
public final class SparkScalingBench {
    /** Each configuration runs this often after its warm-up; the fastest run counts. */
    private static final int ROUNDS = 2;

    private SparkScalingBench() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args model name, image count, optional partition count (default 4), batch size (default 32), and
     *             {@code spark-first} to run the Spark configurations before the single-machine one
     * @throws Exception when anything fails
     */
    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "tiny";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        boolean sparkFirst = args.length > 4 && args[4].equals("spark-first");
        BaseModel model = which.equals("tiny") ? TinyNetworks.baseModel(SparkTests.CLASSES) : NsfwjsSource.mobileNetV2().load();
        Path dir = Files.createTempDirectory("transferkit-spark-bench-");
        List<LabeledImage> images = SparkTests.writeImages(dir.resolve("images"), (n + 2) / 3, 99).subList(0, n);
        List<LabeledImage> warmup = images.subList(0, Math.min(n, 64));
        LabelEncoder labels = LabelEncoder.fromList(SparkTests.CLASSES);
        System.out.printf(Locale.ROOT, "model %s, %d images (20x20 PNG, resized to %s), %d partitions, batch %d, %d cores%n",
                model.name(), n, model.inputSpec(), partitions, batch, Runtime.getRuntime().availableProcessors());
        System.out.println("load average before: " + Files.readString(Path.of("/proc/loadavg")).trim());

        List<String[]> table = new ArrayList<>();
        double[] single = new double[1];
        double[] spark = new double[2];
        if (sparkFirst) {
            runSpark(model, images, warmup, labels, dir, partitions, batch, spark);
            runSingle(model, images, warmup, labels, dir, batch, single);
        } else {
            runSingle(model, images, warmup, labels, dir, batch, single);
            runSpark(model, images, warmup, labels, dir, partitions, batch, spark);
        }
        table.add(row("FeatureExtractor, 1 decode thread", single[0], n, single[0]));
        table.add(row("Spark local[1], " + partitions + " partitions", spark[0], n, single[0]));
        table.add(row("Spark local[2], " + partitions + " partitions", spark[1], n, single[0]));
        System.out.println("load average after: " + Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println((sparkFirst ? "order: Spark runs first" : "order: FeatureExtractor first"));
        System.out.println("| run | seconds (best of " + ROUNDS + ") | images/s | ms/image | ms/image over FeatureExtractor (1 thread) |");
        System.out.println("|---|---|---|---|---|");
        for (String[] r : table) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
        System.out.printf(Locale.ROOT, "%nSpark scaling local[1] -> local[2]: %.2fx%n", spark[0] / spark[1]);
    }

    /** One decoding thread, as each Spark task had before it shared the single-machine batch loop. */
    private static ExtractionSettings settings(BaseModel model, int batch) {
        return ExtractionSettings.builder().setModel(model).optThreads(1).optBatchSize(batch).build();
    }

    private static void runSingle(BaseModel model, List<LabeledImage> images, List<LabeledImage> warmup, LabelEncoder labels,
                                  Path dir, int batch, double[] out) {
        FeatureExtractor fx = FeatureExtractor.of(settings(model, batch));
        fx.extract(warmup, labels, dir.resolve("warm.h5")).close();
        double s = Double.POSITIVE_INFINITY;
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            fx.extract(images, labels, dir.resolve("single-" + round + ".h5")).close();
            s = Math.min(s, (System.nanoTime() - t0) / 1e9);
        }
        out[0] = s;
    }

    private static void runSpark(BaseModel model, List<LabeledImage> images, List<LabeledImage> warmup, LabelEncoder labels,
                                 Path dir, int partitions, int batch, double[] out) {
        int n = images.size();
        for (int cores : new int[]{1, 2}) {
            System.gc(); // frees the off-heap workspaces of the pipelines no longer used
            SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("bench")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            try {
                SparkFeatureExtractor ex = SparkFeatureExtractor.builder().setExtraction(settings(model, batch)).build();
                ex.extract(SparkTests.table(spark, warmup, cores), labels, dir.resolve("spark-warm-" + cores).toString());
                double s = Double.POSITIVE_INFINITY;
                for (int round = 0; round < ROUNDS; round++) {
                    long t0 = System.nanoTime();
                    ex.extract(SparkTests.table(spark, images, partitions), labels,
                            dir.resolve("spark-" + cores + (round == 0 ? "" : "-" + round)).toString());
                    s = Math.min(s, (System.nanoTime() - t0) / 1e9);
                }
                out[cores - 1] = s;
            } finally {
                spark.stop();
            }
            try (FeatureStore st = FeatureStore.open(dir.resolve("spark-" + cores))) {
                if (st.rows() != n) {
                    throw new IllegalStateException("Spark wrote " + st.rows() + " rows instead of " + n + ".");
                }
            }
        }
    }

    private static String[] row(String name, double seconds, int n, double reference) {
        return new String[]{name, String.format(Locale.ROOT, "%.2f", seconds), String.format(Locale.ROOT, "%.1f", n / seconds),
                String.format(Locale.ROOT, "%.2f", 1000 * seconds / n),
                String.format(Locale.ROOT, "%+.2f", 1000 * (seconds - reference) / n)};
    }
}
