package dev.transferkit.spark;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.ShardManifest;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads a sharded feature store (local or on any Hadoop file system) into Spark as a table of
 * ({@value #PATH}, {@value #LABEL}, {@value #FEATURES}) rows, the form Spark MLlib trains on: one partition per shard,
 * rows in store order, features as dense ML vectors, labels as class indices in a double column. Shards on a non-local
 * file system are copied to the executor's temporary directory first, because HDF5 reads local files only.
 */
public final class SparkFeatureStores {
    /** The string column of input paths. */
    public static final String PATH = "path";
    /** The double column of class indices (MLlib's label convention). */
    public static final String LABEL = "label";
    /** The ML vector column of features. */
    public static final String FEATURES = "features";
    /** Rows read from HDF5 at a time. */
    static final int BLOCK_ROWS = 1024;

    private SparkFeatureStores() {
    }

    /** @return the schema of {@link #read}'s tables */
    public static StructType schema() {
        return new StructType().add(PATH, DataTypes.StringType, false).add(LABEL, DataTypes.DoubleType, false)
                .add(FEATURES, SQLDataTypes.VectorType(), false);
    }

    /**
     * Reads the manifest of a sharded store.
     *
     * @param spark a session, for its Hadoop configuration
     * @param store the store directory, a local path or Hadoop URI
     * @return the manifest
     * @throws dev.transferkit.store.StoreFormatException when the manifest is malformed
     * @throws UncheckedIOException                      when it cannot be read (e.g. the store does not exist)
     */
    public static ShardManifest manifest(SparkSession spark, String store) {
        Path dir = new Path(store);
        Path file = new Path(dir, ShardManifest.FILE_NAME);
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(file)) {
                throw new dev.transferkit.store.StoreException(java.nio.file.Path.of(store), "The directory " + store
                        + " is not a sharded feature store: it has no " + ShardManifest.FILE_NAME + ".");
            }
            try (var in = fs.open(file)) {
                return ShardManifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                        java.nio.file.Path.of(file.toString()));
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not read the shard manifest " + file + " (" + e.getMessage() + ").", e);
        }
    }

    /**
     * Reads a sharded store as a table, one partition per shard.
     *
     * @param spark the session
     * @param store the store directory, a local path or Hadoop URI
     * @return rows of (path, label, features) in store order
     */
    public static Dataset<Row> read(SparkSession spark, String store) {
        ShardManifest manifest = manifest(spark, store);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> shards = new ArrayList<>();
        for (ShardManifest.Shard s : manifest.shards()) {
            if (s.rows() > 0) {
                shards.add(new Path(new Path(store), s.file()).toString());
            }
        }
        Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(jsc.hadoopConfiguration()));
        JavaRDD<Row> rows = jsc.parallelize(shards, Math.max(1, shards.size())).mapPartitions(new ShardReader(conf));
        return spark.createDataFrame(rows, schema());
    }

    /** Streams the rows of the shards of one partition. */
    private static final class ShardReader implements FlatMapFunction<Iterator<String>, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<HadoopConf> conf;

        ShardReader(Broadcast<HadoopConf> conf) {
            this.conf = conf;
        }

        @Override
        public Iterator<Row> call(Iterator<String> shards) {
            return new Iterator<>() {
                private FeatureStore store;
                private java.nio.file.Path copy;
                private long next;
                private List<Row> block = List.of();
                private int pos;

                @Override
                public boolean hasNext() {
                    while (pos >= block.size()) {
                        if (store != null && next < store.rows()) {
                            readBlock();
                        } else if (shards.hasNext()) {
                            closeShard();
                            openShard(shards.next());
                        } else {
                            closeShard();
                            return false;
                        }
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException("No more rows in this partition's shards.");
                    }
                    return block.get(pos++);
                }

                private void readBlock() {
                    int n = (int) Math.min(BLOCK_ROWS, store.rows() - next);
                    float[][] x = store.readFeatures(next, n).toFloatMatrix();
                    int[] y = store.readLabels(next, n);
                    List<String> paths = store.readPaths(next, n);
                    List<Row> rows = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        double[] v = new double[x[i].length];
                        for (int j = 0; j < v.length; j++) {
                            v[j] = x[i][j];
                        }
                        rows.add(RowFactory.create(paths.get(i), (double) y[i], Vectors.dense(v)));
                    }
                    next += n;
                    block = rows;
                    pos = 0;
                }

                private void openShard(String uri) {
                    Path p = new Path(uri);
                    try {
                        FileSystem fs = p.getFileSystem(conf.value().get());
                        java.nio.file.Path local;
                        if (fs instanceof LocalFileSystem) {
                            local = java.nio.file.Path.of(fs.makeQualified(p).toUri());
                        } else {
                            copy = Files.createTempFile("transferkit-shard-", ".h5");
                            fs.copyToLocalFile(false, p, new Path(copy.toUri()), true);
                            local = copy;
                        }
                        store = FeatureStore.open(local);
                        next = 0;
                        TaskContext ctx = TaskContext.get();
                        if (ctx != null) {
                            ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> closeShard());
                        }
                    } catch (IOException e) {
                        throw new TransferKitIOException("Could not read the shard " + uri + " (" + e.getMessage() + ").", e);
                    }
                }

                private void closeShard() {
                    if (store != null) {
                        store.close();
                        store = null;
                    }
                    if (copy != null) {
                        try {
                            Files.deleteIfExists(copy);
                        } catch (IOException ignored) {
                            // A leftover temporary copy is harmless.
                        }
                        copy = null;
                    }
                }
            };
        }
    }
}
