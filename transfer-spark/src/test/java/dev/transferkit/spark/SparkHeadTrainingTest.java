package dev.transferkit.spark;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.head.Head;
import dev.transferkit.head.LinearHead;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.head.MlpHead;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.store.LoadedFeatures;
import dev.transferkit.store.StoreDataSetIterator;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.classification.OneVsRest;
import org.apache.spark.ml.classification.OneVsRestModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkHeadTrainingTest extends SparkSessionTest {
    /** MLlib's accuracy may differ from liblinear's by at most this (2 of 30 test images). */
    private static final double ACCURACY_TOLERANCE = 0.07;
    private static Path train;
    private static Path test;
    private static List<LabeledImage> testImages;

    @BeforeAll
    static void setUp() throws IOException {
        List<LabeledImage> trainImages = SparkTests.writeImages(shared.resolve("train"), 16, 11);
        testImages = SparkTests.writeImages(shared.resolve("test"), 10, 12);
        train = shared.resolve("train-features");
        ExtractionSettings settings = ExtractionSettings.builder().setModel(model).build();
        SparkFeatureExtractor.builder().setExtraction(settings).build()
                .extract(SparkTests.table(spark, trainImages, 3), LABELS, train.toString());
        test = shared.resolve("test.h5");
        FeatureExtractor.of(settings).extract(testImages, LABELS, test).close();
    }

    private static double accuracy(Head head, LoadedFeatures data) {
        float[][] x = data.features().toFloatMatrix();
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            correct += head.predict(x[i]) == data.labels()[i] ? 1 : 0;
        }
        return (double) correct / x.length;
    }

    @Test
    void mllibReachesLiblinearsAccuracyAndTheHeadWorksInTheSingleMachinePredictor() {
        LinearHead sparkHead = SparkLinearHeadTrainer.builder().optC(1.0).build()
                .fit(SparkFeatureStores.read(spark, train.toString()), SparkTests.CLASSES);
        LinearHead liblinear;
        try (FeatureStore sharded = FeatureStore.open(train)) {
            // liblinear on the raw features, one-vs-rest: the model MLlib's one-vs-rest on raw features compares with.
            liblinear = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION).optC(1.0)
                    .optSolver(LinearHeadTrainer.Solver.LIBLINEAR).optStandardize(false).build()
                    .fit(sharded.loadAll());
        }
        LoadedFeatures testData;
        try (FeatureStore t = FeatureStore.open(test)) {
            testData = t.loadAll();
        }
        double a = accuracy(sparkHead, testData);
        double b = accuracy(liblinear, testData);
        System.out.printf("test accuracy: Spark MLlib %.3f, liblinear %.3f (%d images)%n", a, b, testData.rows());
        assertTrue(Math.abs(a - b) <= ACCURACY_TOLERANCE, "MLlib " + a + " vs liblinear " + b);
        assertTrue(a > 1.0 / SparkTests.CLASSES.size() + 0.2, "better than chance: " + a);
        assertTrue(sparkHead.probabilistic());
        assertEquals("Spark MLlib LogisticRegression (L-BFGS), one-vs-rest", sparkHead.info().get("solver"));

        // The head plugs into the single-machine predictor, survives save/load, and predicts from image files.
        TransferModel predictor = TransferModel.of(new FeaturePipeline(model, "conv2", dev.transferkit.extract.Pooling.AVG),
                sparkHead, dev.transferkit.image.ImageOptions.defaults(), Map.of("trainer", "spark"));
        Path file = dir.resolve("predictor.zip");
        predictor.save(file);
        TransferModel loaded = TransferModel.load(file);
        float[][] x = testData.features().toFloatMatrix();
        for (int i = 0; i < testImages.size(); i++) {
            String predicted = loaded.predict(testImages.get(i).path()).label();
            assertEquals(SparkTests.CLASSES.get(sparkHead.predict(x[i])), predicted, testImages.get(i).path().toString());
        }
    }

    @Test
    void convertedHeadsReproduceMllibsProbabilitiesAndPredictions() {
        Dataset<Row> data = SparkFeatureStores.read(spark, train.toString()).cache();
        Dataset<Row> binary = data.filter(col("label").lt(2));
        LogisticRegressionModel lr = new LogisticRegression().setRegParam(0.01).setMaxIter(15).fit(binary);
        LinearHead head = MllibHeads.fromLogisticRegression(lr, SparkTests.CLASSES.subList(0, 2), Map.of());
        List<Row> scored = lr.transform(binary).select("features", "probability").collectAsList();
        for (Row r : scored) {
            double[] scores = head.scores(toFloats(r.getAs(0)));
            Vector p = r.getAs(1);
            assertEquals(p.apply(0), scores[0], 1e-9);
            assertEquals(p.apply(1), scores[1], 1e-9);
        }

        OneVsRestModel ovr = new OneVsRest().setClassifier(new LogisticRegression().setRegParam(0.01).setMaxIter(15)).fit(data);
        LinearHead multi = MllibHeads.fromOneVsRest(ovr, SparkTests.CLASSES, Map.of());
        List<Row> predicted = ovr.transform(data).select("features", "prediction").collectAsList();
        assertEquals(48, predicted.size());
        for (Row r : predicted) {
            assertEquals((int) r.getDouble(1), multi.predict(toFloats(r.getAs(0))));
        }

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MllibHeads.fromLogisticRegression(
                new LogisticRegression().setFamily("multinomial").setMaxIter(1).fit(data), SparkTests.CLASSES, Map.of()));
        assertTrue(e.getMessage().startsWith("Only a binomial logistic regression (2 classes, one coefficient vector)"
                + " converts to a LinearHead, but the model has 3 classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MllibHeads.fromOneVsRest(ovr, List.of("a", "b"), Map.of()));
        assertEquals("The one-vs-rest model has 3 binary models but 2 class names were given: [a, b].", e.getMessage());
        data.unpersist();
    }

    private static float[] toFloats(Vector v) {
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) v.apply(i);
        }
        return f;
    }

    @Test
    void theMlpTrainsFromTheShardedStoreExactlyAsFromOneFileWithTheSameRows() {
        Path copy = dir.resolve("copy.h5");
        MlpHead fromShards;
        MlpHead fromFile;
        MlpHeadTrainer trainer = MlpHeadTrainer.builder().optHiddenLayers(8).optEpochs(3, 3).optSeed(5).build();
        try (FeatureStore sharded = FeatureStore.open(train)) {
            try (FeatureStoreWriter w = FeatureStoreWriter.create(copy, sharded.spec(), sharded.rows())) {
                int n = (int) sharded.rows();
                w.append(sharded.readFeatures(0, n), sharded.readLabels(0, n), sharded.readPaths(0, n));
                w.markComplete();
            }
            fromShards = trainer.fit(iterator(sharded), null, sharded.labelNames(), sharded.dim(), null);
        }
        try (FeatureStore one = FeatureStore.open(copy)) {
            fromFile = trainer.fit(iterator(one), null, one.labelNames(), one.dim(), null);
        }
        assertEquals(fromFile.history().size(), fromShards.history().size());
        for (int i = 0; i < fromFile.history().size(); i++) {
            assertEquals(fromFile.history().get(i).trainLoss(), fromShards.history().get(i).trainLoss());
        }
        float[] probe = new float[fromFile.inputDim()];
        java.util.Arrays.fill(probe, 0.5f);
        assertArrayEquals(fromFile.scores(probe), fromShards.scores(probe));
    }

    private static StoreDataSetIterator iterator(FeatureStore store) {
        // Blocks of 5 rows: the shuffled blocks cross the shard boundaries (16 rows per shard).
        return StoreDataSetIterator.builder().setStore(store).setBatchSize(8).optBlockRows(5).optBufferRows(20).optSeed(3)
                .build();
    }

    @Test
    void invalidTrainingInputsAreRefused() {
        Dataset<Row> data = SparkFeatureStores.read(spark, train.toString());
        SparkLinearHeadTrainer trainer = SparkLinearHeadTrainer.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, List.of("red")));
        assertEquals("A classifier needs at least two classes, but got [red].", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, List.of("red", "green")));
        assertEquals("The training data has the label 2.0, which is not a class index of the 2 classes [red, green].",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> trainer.fit(data.filter(col("label").notEqual(1)), SparkTests.CLASSES));
        assertEquals("The class 'green' has no training examples; remove it or add images.", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkLinearHeadTrainer.builder().optC(0));
        assertThrows(IllegalArgumentException.class, () -> SparkLinearHeadTrainer.builder().optMaxIterations(0));

        RuntimeException missing = assertThrows(RuntimeException.class,
                () -> SparkFeatureStores.read(spark, dir.resolve("nowhere").toString()));
        assertEquals("The directory " + dir.resolve("nowhere") + " is not a sharded feature store: it has no manifest.json.",
                missing.getMessage());
    }
}
