package dev.transferkit.spark;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.extract.ExtractionLoop;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.io.Checksums;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.store.StoreSpec;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The work of one partition: its images go through the single-machine extractor's batch loop ({@link ExtractionLoop}:
 * decode, forward pass of the broadcast base model, append, record failures) into one store file named after the task
 * attempt, in the job's temporary directory. The driver commits the file of the one attempt Spark reports as
 * successful ({@link ShardCommitter}); files of failed or speculative attempts are never committed.
 *
 * @param modelDigest the SHA-256 of the model zip, which names the model in each executor's cache
 * @param model       the broadcast model zip
 * @param hadoopConf  the driver's Hadoop configuration
 * @param settings    the extraction settings but the model
 * @param featureDim  the length of the feature vectors, computed on the driver
 * @param labelNames  the class names
 * @param pathColumn  the input's column of image paths or URIs
 * @param labelColumn the input's column of class names
 * @param jobTempDir  where the attempts write their shard files
 * @param localOutput whether {@code jobTempDir} is on a local (or mounted) file system the task writes in place
 * @param provenance  recorded in every shard
 * @param hook        run after the shard is written, or null (tests)
 */
record ShardTask(String modelDigest, Broadcast<byte[]> model, Broadcast<HadoopConf> hadoopConf, Settings settings,
                 int featureDim, List<String> labelNames, String pathColumn, String labelColumn, String jobTempDir,
                 boolean localOutput, Map<String, String> provenance, Hook hook)
        implements Function2<Integer, Iterator<Row>, Iterator<ShardResult>> {
    private static final Logger LOG = LoggerFactory.getLogger(ShardTask.class);
    /** A URI scheme of two or more characters (one letter would be a Windows drive). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");
    /** Batches per chunk of the batch loop: the decoding of a chunk's later batches overlaps its first forward pass. */
    private static final int CHUNK_BATCHES = 4;

    /** Runs after a task attempt wrote its shard file; tests use it to fail attempts at the worst moment. */
    interface Hook extends Serializable {
        void afterShardWritten(int partition, TaskContext context);
    }

    /**
     * The serialisable part of the {@link ExtractionSettings}: all but the model, which travels as broadcast bytes,
     * and the listener, which stays on the driver.
     */
    record Settings(FeatureTarget target, int batchSize, int threads, ImageOptions images, boolean failFast)
            implements Serializable {
        static Settings of(ExtractionSettings s) {
            return new Settings(s.singleTarget("A SparkFeatureExtractor"), s.batchSize(), s.threads(), s.imageOptions(),
                    s.failFast());
        }

        ExtractionSettings toSettings(BaseModel model) {
            return ExtractionSettings.builder().setModel(model).optLayer(target.layer()).optPooling(target.pooling())
                    .optBatchSize(batchSize).optThreads(threads).optImageOptions(images).optFailFast(failFast).build();
        }
    }

    /** Copies the class names and provenance into serialisable collections of their own. */
    ShardTask {
        labelNames = List.copyOf(labelNames);
        provenance = new LinkedHashMap<>(provenance);
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
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(modelDigest, model, settings.target())) {
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

    /** Streams the partition through the shared batch loop into the store file; returns {rows, failures}. */
    private long[] write(FeaturePipeline pipeline, Iterator<Row> rows, Path file) throws IOException {
        ExtractionSettings extraction = settings.toSettings(pipeline.model());
        LabelEncoder encoder = LabelEncoder.fromList(labelNames);
        StoreSpec spec = extraction.spec(settings.target(), featureDim, labelNames);
        Inputs inputs = new Inputs(rows, encoder, settings.batchSize() * CHUNK_BATCHES);
        try (FeatureStoreWriter writer = FeatureStoreWriter.builder().setPath(file).setSpec(spec)
                .optIfExists(FeatureStoreWriter.IfExists.OVERWRITE).optProvenance(provenance).build()) {
            ExtractionLoop.Result result = new ExtractionLoop(pipeline, extraction).run(inputs, encoder, List.of(writer), 0, 0);
            writer.markComplete();
            return new long[]{result.rows(), result.failures()};
        } finally {
            inputs.deleteCopies();
        }
    }

    /**
     * The partition's rows as chunks of the batch loop's inputs: each row checked, repeated images skipped, and remote
     * images copied to local files, which the next chunk reuses (the loop reads a chunk's files before asking for the
     * next).
     */
    private final class Inputs implements Iterator<List<ExtractionLoop.Input>> {
        private final Iterator<Row> rows;
        private final LabelEncoder encoder;
        private final int chunkSize;
        private final Set<String> seen = new HashSet<>();
        private Path copies;

        Inputs(Iterator<Row> rows, LabelEncoder encoder, int chunkSize) {
            this.rows = rows;
            this.encoder = encoder;
            this.chunkSize = chunkSize;
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public List<ExtractionLoop.Input> next() {
            if (!rows.hasNext()) {
                throw new NoSuchElementException("The partition has no more rows.");
            }
            List<ExtractionLoop.Input> chunk = new ArrayList<>(chunkSize);
            while (chunk.size() < chunkSize && rows.hasNext()) {
                Row row = rows.next();
                String path = row.getAs(pathColumn);
                String label = row.getAs(labelColumn);
                if (path == null || !encoder.contains(label)) {
                    throw new TransferKitException("The input row " + row + " has " + (path == null ? "no path"
                            : "the label '" + label + "', which is not one of the classes " + labelNames)
                            + "; give every image a path and one of the classes.");
                }
                boolean remote = isRemote(path);
                Path local = remote ? null : localPath(path);
                String key = remote ? qualified(path) : local.toString();
                if (!seen.add(key)) {
                    LOG.warn("Skipping {}: it occurs twice in partition {}.", key, TaskContext.getPartitionId());
                    continue;
                }
                if (remote) {
                    local = copyDir().resolve(chunk.size() + ".image");
                    fetch(path, local);
                }
                chunk.add(new ExtractionLoop.Input(key, local, label));
            }
            return chunk;
        }

        private Path copyDir() {
            if (copies == null) {
                try {
                    copies = Files.createTempDirectory("transferkit-images-");
                } catch (IOException e) {
                    throw new TransferKitIOException("Could not create a temporary directory for the images copied from"
                            + " remote file systems (" + e.getMessage() + "); check the executor's temporary directory.", e);
                }
            }
            return copies;
        }

        void deleteCopies() throws IOException {
            if (copies != null) {
                deleteTree(copies);
            }
        }
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
            deleteTree(workDir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> leftovers = Files.walk(dir)) {
            for (Path p : leftovers.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String toString() {
        return "ShardTask(" + settings + ", output=" + jobTempDir
                + ", localOutput=" + localOutput + ")";
    }
}
