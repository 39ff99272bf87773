package dev.transferkit.spark.examples;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.head.LinearHead;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.spark.SparkFeatureExtractor;
import dev.transferkit.spark.SparkFeatureStores;
import dev.transferkit.spark.SparkLinearHeadTrainer;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.ShardManifest;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Extracts features with Spark into a sharded store, trains a logistic-regression head on them with MLlib, and saves
 * a predictor the single-machine API loads.
 *
 * <pre>
 * SparkExtractExample &lt;images&gt; &lt;output&gt; [partitions] [model.zip]
 *   images      an image folder (&lt;root&gt;/train/&lt;class&gt;/..., local or shared) or a CSV file with a header
 *               "path,label" (any Hadoop URI; the paths in it may be hdfs://, s3a://, ... too)
 *   output      the sharded store directory (any Hadoop URI)
 *   partitions  shards to write (default: as the input is partitioned); repartitioning spreads rows round-robin,
 *               so the store's row order is then not the CSV's
 *   model.zip   a TransferKit model zip (BaseModel.save); default: the MobileNetV2 of nsfwjs, from the local cache
 * </pre>
 *
 * When {@code output} is local, the predictor is saved next to it as {@code <output>-predictor.zip}. Run it locally
 * with {@code mvn -pl transfer-spark -am test-compile exec:java -Dexec.args="..."} or submit the shaded jar
 * ({@code -Pshade}) with spark-submit; see docs/SPARK.md.
 */
public final class SparkExtractExample {
    private SparkExtractExample() {
    }

    /**
     * Runs the example.
     *
     * @param args images, output, optional partition count and model zip
     */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 4) {
            System.err.println("Usage: SparkExtractExample <image-folder|images.csv> <output> [partitions] [model.zip]");
            System.exit(2);
        }
        SparkSession.Builder b = SparkSession.builder().appName("TransferKit Spark extraction");
        if (System.getProperty("spark.master") == null) {
            b.master("local[*]"); // not under spark-submit: run locally
        }
        SparkSession spark = b.getOrCreate();
        try {
            BaseModel model = args.length == 4 ? BaseModel.load(Path.of(args[3])) : NsfwjsSource.mobileNetV2().load();
            Dataset<Row> images = images(spark, args[0]);
            if (args.length >= 3) {
                images = images.repartition(Integer.parseInt(args[2]));
            }
            List<String> classes = new ArrayList<>();
            for (Row r : images.select("label").distinct().orderBy("label").collectAsList()) {
                classes.add(r.getString(0));
            }
            LabelEncoder labels = LabelEncoder.fromList(classes);

            long t0 = System.nanoTime();
            // One decoding thread per task: Spark already runs one task per executor core.
            ExtractionSettings settings = ExtractionSettings.builder().setModel(model).optPooling(Pooling.AVG).optThreads(1)
                    .build();
            ShardManifest manifest = SparkFeatureExtractor.builder().setExtraction(settings).build()
                    .extract(images, labels, args[1]);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("Extracted %d images (%d failed) into %d shards at %s in %.1f s (%.1f images/s).%n",
                    manifest.rows(), manifest.failures(), manifest.shards().size(), args[1], seconds,
                    manifest.rows() / seconds);

            Dataset<Row> features = SparkFeatureStores.read(spark, args[1]).cache();
            LinearHead head = SparkLinearHeadTrainer.builder().optC(1.0).build().fit(features, labels.toList());
            long correct = 0;
            for (Row r : features.select(SparkFeatureStores.FEATURES, SparkFeatureStores.LABEL).collectAsList()) {
                org.apache.spark.ml.linalg.Vector v = r.getAs(0);
                float[] x = new float[v.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) v.apply(i);
                }
                correct += head.predict(x) == (int) r.getDouble(1) ? 1 : 0;
            }
            System.out.printf("MLlib head (%s): training accuracy %.3f on %d rows.%n", head.info().get("solver"),
                    (double) correct / manifest.rows(), manifest.rows());
            features.unpersist();

            if (!args[1].contains("://")) {
                Path predictor = Path.of(args[1] + "-predictor.zip");
                TransferModel.of(new FeaturePipeline(model, manifest.spec().layer(), manifest.spec().pooling()), head,
                        manifest.spec().imageOptions(),
                        Map.of("trainer", "SparkLinearHeadTrainer", "store", args[1])).save(predictor);
                System.out.println("Saved the predictor to " + predictor + " (load it with TransferModel.load).");
            }
        } finally {
            spark.stop();
        }
    }

    /** Reads the input table: a CSV file of path,label or the train split of an image folder. */
    private static Dataset<Row> images(SparkSession spark, String input) {
        if (input.endsWith(".csv")) {
            return spark.read().option("header", "true").csv(input).select(col("path"), col("label"));
        }
        List<Row> rows = new ArrayList<>();
        for (LabeledImage im : ImageFolder.open(Path.of(input)).images(ImageFolder.TRAIN)) {
            rows.add(RowFactory.create(im.path().toString(), im.label()));
        }
        StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.StringType);
        return spark.createDataFrame(rows, schema);
    }
}
