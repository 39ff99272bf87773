package dev.transferkit.spark;

import dev.transferkit.store.ShardManifest;
import dev.transferkit.store.StoreException;
import dev.transferkit.store.StoreSpec;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The driver's side of the shard commit protocol, on any Hadoop file system. Task attempts write
 * {@code <out>/_temporary/<job>/part-NNNNN-s<stage>-a<attempt>-t<task>.h5}; when the job succeeded, the committer
 * renames the one attempt file Spark reported per partition to {@code <out>/part-NNNNN.h5}, deletes every other
 * attempt file (failed, killed or speculative duplicates, and those of earlier failed jobs) with the temporary
 * directory, deletes shards a previous run left that the new manifest does not list, and finally writes
 * {@value ShardManifest#FILE_NAME}. Until that last step the directory has no manifest and is not a readable store,
 * so a crash anywhere leaves no half-visible store, and rerunning the job starts over without duplicating rows.
 */
final class ShardCommitter {
    /** The directory under the output where task attempts write. */
    static final String TEMPORARY = "_temporary";
    private static final Logger LOG = LoggerFactory.getLogger(ShardCommitter.class);
    private static final Pattern SHARD = Pattern.compile("part-\\d{5,}\\.h5");

    private final FileSystem fs;
    private final Path output;

    /**
     * @param fs     the output's file system
     * @param output the store directory, qualified
     */
    ShardCommitter(FileSystem fs, Path output) {
        this.fs = fs;
        this.output = output;
    }

    /** @return the temporary directory of one job */
    Path jobTempDir(String jobId) {
        return new Path(new Path(output, TEMPORARY), jobId);
    }

    /** @return whether the output already holds a manifest */
    boolean hasManifest() throws IOException {
        return fs.exists(new Path(output, ShardManifest.FILE_NAME));
    }

    /** Reads the manifest of the output. */
    ShardManifest readManifest() throws IOException {
        Path file = new Path(output, ShardManifest.FILE_NAME);
        try (InputStream in = fs.open(file)) {
            return ShardManifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), java.nio.file.Path.of(file.toString()));
        }
    }

    /** Removes the manifest, so the directory stops being a store before it is rewritten. */
    void deleteManifest() throws IOException {
        fs.delete(new Path(output, ShardManifest.FILE_NAME), false);
    }

    /**
     * Commits the winning attempts of a job and writes the manifest.
     *
     * @param jobId      the job whose temporary directory holds the attempts
     * @param results    one result per non-empty partition, as Spark returned them
     * @param spec       the spec every shard was written with
     * @param provenance recorded in the manifest
     * @return the manifest written
     * @throws StoreException when a committed file is missing or a rename fails
     */
    ShardManifest commit(String jobId, List<ShardResult> results, StoreSpec spec, Map<String, String> provenance)
            throws IOException {
        Path temp = jobTempDir(jobId);
        List<ShardResult> sorted = new ArrayList<>(results);
        sorted.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        List<ShardManifest.Shard> shards = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ShardResult r : sorted) {
            if (!names.add(r.shardName())) {
                throw new IllegalArgumentException("Partition " + r.partition() + " was reported twice; Spark returns one"
                        + " result per partition, so the results given to the committer are wrong.");
            }
            Path from = new Path(temp, r.attemptFile());
            Path to = new Path(output, r.shardName());
            FileStatus status = fs.exists(from) ? fs.getFileStatus(from) : null;
            if (status == null || status.getLen() != r.bytes()) {
                throw new StoreException(java.nio.file.Path.of(from.toString()), "The shard file " + from + " of partition "
                        + r.partition() + " is " + (status == null ? "missing" : status.getLen() + " bytes instead of "
                        + r.bytes()) + "; the job's temporary directory was changed while it ran. Rerun the extraction.");
            }
            if (fs.exists(to)) {
                fs.delete(to, false);
            }
            if (!fs.rename(from, to)) {
                throw new StoreException(java.nio.file.Path.of(to.toString()), "Could not rename the shard " + from + " to "
                        + to + "; check the permissions of " + output + " and rerun the extraction.");
            }
            shards.add(new ShardManifest.Shard(r.shardName(), r.rows(), r.failures(), r.bytes(), r.sha256()));
        }
        int leftovers = countFiles(temp);
        // Also removes what failed earlier jobs on this output left (their attempts are never committed).
        fs.delete(new Path(output, TEMPORARY), true);
        for (FileStatus f : fs.listStatus(output)) {
            String name = f.getPath().getName();
            if (SHARD.matcher(name).matches() && !names.contains(name)) {
                LOG.info("Deleting {}, a shard of an earlier run that the new manifest does not list.", f.getPath());
                fs.delete(f.getPath(), false);
            }
        }
        ShardManifest manifest = ShardManifest.of(spec, shards, provenance);
        writeManifest(manifest);
        LOG.info("Committed {} shards to {} ({} uncommitted attempt files discarded).", shards.size(), output, leftovers);
        return manifest;
    }

    private int countFiles(Path dir) throws IOException {
        return fs.exists(dir) ? fs.listStatus(dir).length : 0;
    }

    /** Writes the manifest under a temporary name, then renames it into place. */
    private void writeManifest(ShardManifest manifest) throws IOException {
        Path tmp = new Path(output, "." + ShardManifest.FILE_NAME + ".tmp");
        try (FSDataOutputStream out = fs.create(tmp, true)) {
            out.write(manifest.toJson().getBytes(StandardCharsets.UTF_8));
        }
        Path target = new Path(output, ShardManifest.FILE_NAME);
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new StoreException(java.nio.file.Path.of(target.toString()), "Could not rename " + tmp + " to " + target
                    + "; check the permissions of " + output + ".");
        }
        // LocalFileSystem writes a .crc side file for each file it creates; the rename carries it along.
    }

    @Override
    public String toString() {
        return "ShardCommitter(" + output + ")";
    }
}
