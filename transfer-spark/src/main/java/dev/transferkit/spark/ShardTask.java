package dev.transferkit.spark;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.image.ImageDecodeException;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.ResizePolicy;
import dev.transferkit.io.Checksums;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.StoreSpec;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.Color;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The work of one partition: decode its images, run them through the broadcast base model in batches, and write the
 * pooled features to one store file named after the task attempt, in the job's temporary directory. The driver
 * commits the file of the one attempt Spark reports as successful ({@link ShardCommitter}); files of failed or
 * speculative attempts are never committed.
 */
final class ShardTask implements Function2<Integer, Iterator<Row>, Iterator<ShardResult>> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShardTask.class);
    /** A URI scheme of two or more characters (one letter would be a Windows drive). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

    /** Runs after a task attempt wrote its shard file; tests use it to fail attempts at the worst moment. */
    interface Hook extends Serializable {
        void afterShardWritten(int partition, TaskContext context);
    }

    /** The serialisable part of {@link ImageOptions}. */
    record ImageSettings(ResizePolicy resize, Color background, long maxPixels, boolean exif) implements Serializable {
        static ImageSettings of(ImageOptions o) {
            return new ImageSettings(o.resize(), o.background(), o.maxPixels(), o.applyExifOrientation());
        }

        ImageOptions toOptions() {
            return ImageOptions.builder().optResize(resize).optBackground(background).optMaxPixels(maxPixels)
                    .optApplyExifOrientation(exif).build();
        }
    }

    private final String modelDigest;
    private final Broadcast<byte[]> model;
    private final Broadcast<HadoopConf> hadoopConf;
    private final String layer;
    private final Pooling pooling;
    private final int featureDim;
    private final List<String> labelNames;
    private final int batchSize;
    private final ImageSettings images;
    private final String pathColumn;
    private final String labelColumn;
    private final String jobTempDir;
    private final boolean localOutput;
    private final Map<String, String> provenance;
    private final Hook hook;

    ShardTask(String modelDigest, Broadcast<byte[]> model, Broadcast<HadoopConf> hadoopConf, String layer, Pooling pooling, int featureDim,
              List<String> labelNames, int batchSize, ImageOptions images, String pathColumn, String labelColumn,
              String jobTempDir, boolean localOutput, Map<String, String> provenance, Hook hook) {
        this.modelDigest = modelDigest;
        this.model = model;
        this.hadoopConf = hadoopConf;
        this.layer = layer;
        this.pooling = pooling;
        this.featureDim = featureDim;
        this.labelNames = new ArrayList<>(labelNames);
        this.batchSize = batchSize;
        this.images = ImageSettings.of(images);
        this.pathColumn = pathColumn;
        this.labelColumn = labelColumn;
        this.jobTempDir = jobTempDir;
        this.localOutput = localOutput;
        this.provenance = new HashMap<>(provenance);
        this.hook = hook;
    }

    @Override
    public Iterator<ShardResult> call(Integer partition, Iterator<Row> rows) throws IOException {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        long t0 = System.nanoTime();
        TaskContext ctx = TaskContext.get();
        String attemptName = String.format(java.util.Locale.ROOT, "part-%05d-s%d-a%d-t%d.h5", partition,
                ctx == null ? 0 : ctx.stageAttemptNumber(), ctx == null ? 0 : ctx.attemptNumber(),
                ctx == null ? 0 : ctx.taskAttemptId());
        Path workDir = localOutput ? Paths.get(new org.apache.hadoop.fs.Path(jobTempDir).toUri())
                : Files.createTempDirectory("transferkit-shard-");
        Files.createDirectories(workDir);
        Path file = workDir.resolve(attemptName);
        long[] counts;
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(modelDigest, model, layer, pooling)) {
            counts = write(lease.pipeline(), rows, file);
        }
        if (hook != null) {
            hook.afterShardWritten(partition, ctx);
        }
        long bytes = Files.size(file);
        String sha = Checksums.sha256(file);
        Files.deleteIfExists(workDir.resolve(attemptName + ".lock"));
        if (!localOutput) {
            upload(file, workDir);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info("Partition {}: {} rows, {} failures in {} s ({}).", partition, counts[0], counts[1], seconds, attemptName);
        return List.of(new ShardResult(partition, attemptName, counts[0], counts[1], bytes, sha, seconds)).iterator();
    }

    /** Streams the partition into the store file; returns {rows, failures}. */
    private long[] write(FeaturePipeline pipeline, Iterator<Row> rows, Path file) throws IOException {
        BaseModel base = pipeline.model();
        ImagePipeline imagePipeline = base.pipeline(images.toOptions());
        StoreSpec spec = StoreSpec.builder().setModel(base.name()).setLayer(pipeline.layer()).setPooling(pipeline.pooling())
                .setPreprocessing(base.preprocessing()).setInputSpec(base.inputSpec()).optImageOptions(images.toOptions())
                .setFeatureDim(featureDim)
                .setLabelNames(labelNames).build();
        Map<String, Integer> labelIndex = new HashMap<>();
        for (int i = 0; i < labelNames.size(); i++) {
            labelIndex.put(labelNames.get(i), i);
        }
        int per = imagePipeline.valuesPerImage();
        float[] buffer = new float[batchSize * per];
        int[] labels = new int[batchSize];
        List<String> keys = new ArrayList<>(batchSize);
        Set<String> seen = new HashSet<>();
        long written = 0;
        long failed = 0;
        Path download = null;
        try (FeatureStoreWriter writer = FeatureStoreWriter.builder().setPath(file).setSpec(spec)
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).optProvenance(provenance).build()) {
            while (rows.hasNext()) {
                Row row = rows.next();
                String path = row.getAs(pathColumn);
                String label = row.getAs(labelColumn);
                Integer index = labelIndex.get(label);
                if (path == null || index == null) {
                    throw new TransferKitException("The input row " + row + " has " + (path == null ? "no path"
                            : "the label '" + label + "', which is not one of the classes " + labelNames)
                            + "; give every image a path and one of the classes.");
                }
                boolean remote = isRemote(path);
                String key = remote ? qualified(path) : localPath(path).toString();
                if (!seen.add(key)) {
                    LOG.warn("Skipping {}: it occurs twice in partition {}.", key, TaskContext.getPartitionId());
                    continue;
                }
                try {
                    Path local = localPath(path);
                    if (remote) {
                        download = download == null ? Files.createTempFile("transferkit-image-", ".bin") : download;
                        fetch(path, download);
                        local = download;
                    }
                    imagePipeline.load(local, buffer, keys.size());
                } catch (ImageDecodeException e) {
                    writer.recordFailure(key, e.reason());
                    failed++;
                    continue;
                } catch (UncheckedIOException e) {
                    writer.recordFailure(key, "it could not be read (" + e.getCause().getMessage() + ")");
                    failed++;
                    continue;
                }
                labels[keys.size()] = index;
                keys.add(key);
                if (keys.size() == batchSize) {
                    written += flush(pipeline, imagePipeline, buffer, labels, keys, writer);
                }
            }
            written += flush(pipeline, imagePipeline, buffer, labels, keys, writer);
            writer.markComplete();
        } finally {
            if (download != null) {
                Files.deleteIfExists(download);
            }
        }
        return new long[]{written, failed};
    }

    private static int flush(FeaturePipeline pipeline, ImagePipeline imagePipeline, float[] buffer, int[] labels,
                             List<String> keys, FeatureStoreWriter writer) {
        int n = keys.size();
        if (n == 0) {
            return 0;
        }
        int per = imagePipeline.valuesPerImage();
        INDArray batch = imagePipeline.toArray(n * per == buffer.length ? buffer : Arrays.copyOf(buffer, n * per));
        writer.append(pipeline.features(batch), Arrays.copyOf(labels, n), List.copyOf(keys));
        keys.clear();
        return n;
    }

    static boolean isRemote(String path) {
        return SCHEME.matcher(path).matches() && !path.regionMatches(true, 0, "file:", 0, 5);
    }

    /** The key a local image gets in the store: absolute and normalised, exactly as the single-machine extractor. */
    static Path localPath(String path) {
        Path p = path.regionMatches(true, 0, "file:", 0, 5) ? Paths.get(URI.create(path)) : Paths.get(path);
        return p.toAbsolutePath().normalize();
    }

    private String qualified(String path) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            return p.getFileSystem(hadoopConf.value().get()).makeQualified(p).toString();
        } catch (IOException e) {
            throw new TransferKitIOException("Could not reach the file system of " + path + " (" + e.getMessage() + ").", e);
        }
    }

    /** Copies one image from a Hadoop file system (hdfs://, s3a://, ...) to a local file the decoder can read. */
    private void fetch(String path, Path target) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            FileSystem fs = p.getFileSystem(hadoopConf.value().get());
            try (InputStream in = fs.open(p)) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not copy " + path + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Moves a finished shard from the executor's disk into the job's temporary directory on the output file system. */
    private void upload(Path file, Path workDir) throws IOException {
        org.apache.hadoop.fs.Path dest = new org.apache.hadoop.fs.Path(jobTempDir, file.getFileName().toString());
        try {
            FileSystem fs = dest.getFileSystem(hadoopConf.value().get());
            fs.copyFromLocalFile(true, true, new org.apache.hadoop.fs.Path(file.toUri()), dest);
        } finally {
            try (Stream<Path> leftovers = Files.walk(workDir)) {
                for (Path p : leftovers.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ShardTask(layer=" + layer + ", pooling=" + pooling + ", batchSize=" + batchSize + ", output=" + jobTempDir
                + ", localOutput=" + localOutput + ")";
    }
}
