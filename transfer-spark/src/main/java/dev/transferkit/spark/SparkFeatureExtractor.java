package dev.transferkit.spark;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.ShardManifest;
import dev.transferkit.store.StoreSpec;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Extracts features on a Spark cluster into a sharded feature store: one HDF5 shard per partition of the input plus a
 * {@link ShardManifest}, which {@link dev.transferkit.store.FeatureStore#open} reads as one store.
 *
 * <p>The input is a table of images with a string column of paths (local paths, {@code file:} URIs, or any Hadoop
 * file system URI such as {@code hdfs://} or {@code s3a://}; remote images are read through Hadoop's FileSystem) and
 * a string column of class names. The base model is saved once on the driver and broadcast as its zip bytes; each
 * executor JVM deserialises it once and shares it between its tasks and later jobs with the same model
 * ({@code ExecutorModels}). Each partition becomes
 * one shard, {@code part-NNNNN.h5} after the partition index, whose rows are the partition's images in order, so a
 * store's row order is the input's order. Images that cannot be read or decoded are recorded as failures in their
 * shard, as in {@link FeatureExtractor}.
 *
 * <p>Shards are written atomically and idempotently: every task attempt writes its own file in
 * {@code <output>/_temporary/<job>/}, and only after the job succeeded does the driver rename the one attempt per
 * partition that Spark counted, discard the rest and write the manifest last ({@code ShardCommitter}). Retried or
 * speculative attempts therefore never duplicate rows, and a failed job leaves no manifest (rerun it). HDF5 writes
 * need a local file: for a local (or shared, mounted) output directory tasks write in place; for any other file system
 * they write to the executor's temporary directory and copy the finished shard to the output.
 */
public final class SparkFeatureExtractor {
    /** The default name of the input's path column. */
    public static final String PATH_COLUMN = "path";
    /** The default name of the input's class-name column. */
    public static final String LABEL_COLUMN = "label";
    private static final Logger LOG = LoggerFactory.getLogger(SparkFeatureExtractor.class);

    private final BaseModel model;
    private final String layer;
    private final Pooling pooling;
    private final int batchSize;
    private final ImageOptions imageOptions;
    private final String pathColumn;
    private final String labelColumn;
    private final boolean overwrite;
    private final ShardTask.Hook hook;
    private final FeatureExtractor reference;
    /** The model zip and its SHA-256, made once per extractor, so its jobs share one model on each executor. */
    private byte[] zip;
    private String digest;

    private SparkFeatureExtractor(Builder b) {
        this.model = b.model;
        this.pooling = b.pooling;
        this.batchSize = b.batchSize;
        this.imageOptions = b.imageOptions;
        this.pathColumn = b.pathColumn;
        this.labelColumn = b.labelColumn;
        this.overwrite = b.overwrite;
        this.hook = b.hook;
        // The single-machine extractor with the same settings: it resolves the layer and computes the spec.
        this.reference = FeatureExtractor.builder().setModel(b.model).optLayer(b.layer).optPooling(b.pooling)
                .optBatchSize(b.batchSize).optImageOptions(b.imageOptions).build();
        this.layer = reference.pipeline().layer();
    }

    /**
     * Starts a configuration; {@code setModel} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the spec of the stores this extractor writes (runs one blank image through the model on the driver).
     *
     * @param labels the class names
     * @return the spec
     */
    public StoreSpec spec(LabelEncoder labels) {
        return reference.spec(labels);
    }

    /**
     * Extracts every image of the input into a sharded store, one shard per partition.
     *
     * @param images a table with a string path column and a string label column (see the builder for their names)
     * @param labels the class names; every label in the input must be one of them
     * @param output the store directory: a local path, or a Hadoop file system URI ({@code hdfs://nn/features/train})
     * @return the manifest written to {@code output}
     * @throws IllegalArgumentException when the input lacks the columns or they are not strings
     * @throws TransferKitException     when the input is empty, or the output holds a store written with another spec
     *                                  (unless overwriting), or the Spark job fails
     */
    public ShardManifest extract(Dataset<Row> images, LabelEncoder labels, String output) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        requireStringColumn(images, pathColumn);
        requireStringColumn(images, labelColumn);
        SparkSession spark = images.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        StoreSpec spec = spec(labels);
        try {
            Path out = new Path(output);
            FileSystem fs = out.getFileSystem(jsc.hadoopConfiguration());
            boolean local = fs instanceof LocalFileSystem;
            if (fs instanceof LocalFileSystem lfs) {
                fs = lfs.getRaw(); // no .crc side files next to the shards
            }
            out = fs.makeQualified(out);
            ShardCommitter committer = new ShardCommitter(fs, out);
            if (committer.hasManifest()) {
                ShardManifest existing = committer.readManifest();
                if (!overwrite) {
                    existing.spec().requireSame(spec, java.nio.file.Path.of(out.toString()));
                    LOG.info("{} already holds a complete sharded store ({} rows); nothing to extract.", out, existing.rows());
                    return existing;
                }
                committer.deleteManifest();
            }
            fs.mkdirs(out);
            String jobId = UUID.randomUUID().toString();
            Path temp = committer.jobTempDir(jobId);
            fs.mkdirs(temp);
            Map<String, String> provenance = provenance(spark, images);
            prepareModelZip();
            Broadcast<byte[]> modelBytes = jsc.broadcast(zip);
            Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(jsc.hadoopConfiguration()));
            ShardTask task = new ShardTask(digest, modelBytes, conf, layer, pooling, spec.featureDim(), labels.toList(), batchSize,
                    imageOptions, pathColumn, labelColumn, temp.toString(), local, provenance, hook);
            long t0 = System.nanoTime();
            List<ShardResult> results;
            try {
                results = images.select(pathColumn, labelColumn).javaRDD().mapPartitionsWithIndex(task, true).collect();
            } catch (RuntimeException e) {
                fs.delete(temp, true);
                throw e;
            } finally {
                modelBytes.destroy();
                conf.destroy();
            }
            if (results.isEmpty()) {
                fs.delete(temp, true);
                throw new TransferKitException("There are no images to extract into " + out + ": the input table is empty.");
            }
            ShardManifest manifest = committer.commit(jobId, results, spec, provenance);
            LOG.info("Extracted {} rows ({} failures) into {} shards at {} in {} s.", manifest.rows(), manifest.failures(),
                    manifest.shards().size(), out, String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
            return manifest;
        } catch (IOException e) {
            throw new TransferKitIOException("The sharded extraction into " + output + " failed (" + e.getMessage() + ").", e);
        }
    }

    private static void requireStringColumn(Dataset<Row> images, String column) {
        StructField field = null;
        for (StructField f : images.schema().fields()) {
            if (f.name().equals(column)) {
                field = f;
            }
        }
        if (field == null || !field.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("The image table needs a string column '" + column + "', but its schema is "
                    + images.schema().simpleString() + ".");
        }
    }

    private Map<String, String> provenance(SparkSession spark, Dataset<Row> images) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("extractor", toString());
        p.put("model", model.name());
        model.provenance().forEach((k, v) -> p.put("model." + k, v));
        p.put("spark.version", spark.version());
        p.put("spark.master", spark.sparkContext().master());
        p.put("partitions", Integer.toString(images.rdd().getNumPartitions()));
        return p;
    }

    /** Saves the model as the zip executors receive, once per extractor (zips of two saves differ in timestamps). */
    private synchronized void prepareModelZip() throws IOException {
        if (zip != null) {
            return;
        }
        java.nio.file.Path tmp = Files.createTempFile("transferkit-broadcast-", ".zip");
        try {
            model.save(tmp);
            zip = Files.readAllBytes(tmp);
            digest = sha256(zip);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-256.", e);
        }
    }

    @Override
    public String toString() {
        return "SparkFeatureExtractor(model=" + model.name() + ", layer=" + layer + ", pooling=" + pooling + ", batchSize="
                + batchSize + ", images=" + imageOptions + ", columns=" + pathColumn + "/" + labelColumn
                + (overwrite ? ", overwrite" : "") + ")";
    }

    /** Builder for {@link SparkFeatureExtractor}. */
    public static final class Builder {
        private BaseModel model;
        private String layer;
        private Pooling pooling = Pooling.AVG;
        private int batchSize = 32;
        private ImageOptions imageOptions = ImageOptions.defaults();
        private String pathColumn = PATH_COLUMN;
        private String labelColumn = LABEL_COLUMN;
        private boolean overwrite;
        private ShardTask.Hook hook;

        private Builder() {
        }

        /** @param model the pretrained network, broadcast to the executors @return this builder */
        public Builder setModel(BaseModel model) {
            this.model = model;
            return this;
        }

        /** @param layer the layer whose activations to take (default: the model's recommended feature layer) @return this builder */
        public Builder optLayer(String layer) {
            this.layer = layer;
            return this;
        }

        /** @param pooling how activations become vectors (default global average) @return this builder */
        public Builder optPooling(Pooling pooling) {
            this.pooling = Objects.requireNonNull(pooling, "pooling");
            return this;
        }

        /** @param batchSize images per forward pass within a task (default 32) @return this builder */
        public Builder optBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("The batch size must be at least 1, but was " + batchSize + ".");
            }
            this.batchSize = batchSize;
            return this;
        }

        /** @param imageOptions decoding and resizing options @return this builder */
        public Builder optImageOptions(ImageOptions imageOptions) {
            this.imageOptions = Objects.requireNonNull(imageOptions, "imageOptions");
            return this;
        }

        /**
         * Names the input's columns (default {@value #PATH_COLUMN} and {@value #LABEL_COLUMN}).
         *
         * @param pathColumn  the string column of image paths or URIs
         * @param labelColumn the string column of class names
         * @return this builder
         */
        public Builder optColumns(String pathColumn, String labelColumn) {
            this.pathColumn = Objects.requireNonNull(pathColumn, "pathColumn");
            this.labelColumn = Objects.requireNonNull(labelColumn, "labelColumn");
            return this;
        }

        /** @param overwrite replace a complete store at the output instead of returning it @return this builder */
        public Builder optOverwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /** Sets a hook run by every task attempt after its shard is written (tests inject failures with it). */
        Builder optHook(ShardTask.Hook hook) {
            this.hook = hook;
            return this;
        }

        /**
         * @return the extractor
         * @throws MissingSettingException when no model was set
         * @throws TransferKitException  when the layer is not in the model
         */
        public SparkFeatureExtractor build() {
            if (model == null) {
                throw new MissingSettingException("A SparkFeatureExtractor needs a model: call setModel.");
            }
            return new SparkFeatureExtractor(this);
        }
    }
}
