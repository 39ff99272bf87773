package dev.transferkit.spark;

import dev.transferkit.image.LabelEncoder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.TinyNetworks;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** What the Spark tests share: one local session and the tiny network for the whole class, and temporary folders. */
abstract class SparkSessionTest {
    static final LabelEncoder LABELS = LabelEncoder.fromList(SparkTests.CLASSES);

    static SparkSession spark;
    static BaseModel model;

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    @BeforeAll
    static void startSpark() {
        spark = SparkTests.session();
        model = TinyNetworks.baseModel(SparkTests.CLASSES);
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }
}
