package dev.transferkit.spark;

import dev.transferkit.image.LabeledImage;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A local Spark session and small generated image sets for the tests of this module. */
final class SparkTests {
    static final List<String> CLASSES = List.of("red", "green", "blue");

    private SparkTests() {
    }

    /** A local session with two cores and one retry per task (local[2,2]), no UI, and the test file system. */
    static SparkSession session() {
        return SparkSession.builder().master("local[2,2]").appName("transferkit-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.hadoop." + TestFileSystem.IMPL_KEY, TestFileSystem.class.getName())
                .config("spark.hadoop.fs." + TestFileSystem.SCHEME + ".impl.disable.cache", "true")
                .getOrCreate();
    }

    /**
     * Writes {@code perClass} 20x20 PNGs per class, with the class's channel brighter on average, and a random square, under
     * {@code root/<class>/}.
     */
    static List<LabeledImage> writeImages(Path root, int perClass, long seed) throws IOException {
        Random r = new Random(seed);
        List<LabeledImage> out = new ArrayList<>();
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                // Overlapping colours: the class channel is only 60 brighter on average, so heads make mistakes.
                int[] rgb = {40 + r.nextInt(140), 40 + r.nextInt(140), 40 + r.nextInt(140)};
                rgb[c] += 60;
                g.setColor(new Color(rgb[0], rgb[1], rgb[2]));
                g.fillRect(0, 0, 20, 20);
                g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                g.fillRect(r.nextInt(15), r.nextInt(15), 6, 6);
                g.dispose();
                Path file = dir.resolve(String.format("%03d.png", i));
                ImageIO.write(img, "png", file.toFile());
                out.add(new LabeledImage(file, CLASSES.get(c)));
            }
        }
        return out;
    }

    /** The images as a (path, label) table split into {@code partitions} contiguous slices, in list order. */
    static Dataset<Row> table(SparkSession spark, List<LabeledImage> images, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (LabeledImage im : images) {
            rows.add(RowFactory.create(im.path().toString(), im.label()));
        }
        return rowTable(spark, rows, partitions);
    }

    /** Rows of (path, label) strings as a table of {@code partitions} contiguous slices. */
    static Dataset<Row> rowTable(SparkSession spark, List<Row> rows, int partitions) {
        StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.StringType);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), schema);
    }
}
