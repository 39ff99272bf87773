package dev.transferkit.spark;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksums;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.FeatureStoreWriter;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.ShardManifest;
import dev.transferkit.store.StoreException;
import dev.transferkit.store.StoreSpec;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commit protocol without Spark: which attempt files become shards, and what is cleaned up. */
class ShardCommitterTest {
    private static final StoreSpec SPEC = StoreSpec.builder().setModel("m").setLayer("l").setPooling(Pooling.AVG)
            .setPreprocessing(Preprocessing.TF).setInputSpec(new InputSpec(8, 8, 3, DataFormat.NCHW)).setFeatureDim(2)
            .setLabelNames(List.of("a", "b")).build();

    @TempDir
    Path dir;

    private static ShardResult attempt(Path temp, int partition, String name, int rows, float value) {
        Path file = temp.resolve(name);
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, SPEC, rows)) {
            float[][] x = new float[rows][];
            int[] y = new int[rows];
            List<String> paths = new java.util.ArrayList<>();
            for (int i = 0; i < rows; i++) {
                x[i] = new float[]{value, i};
                paths.add("img-" + partition + "-" + i);
            }
            w.append(x, y, paths);
            w.markComplete();
        }
        try {
            Files.deleteIfExists(temp.resolve(name + ".lock"));
            return new ShardResult(partition, name, rows, 0, Files.size(file), Checksums.sha256(file), 0.1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Set<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private ShardCommitter committer() throws IOException {
        FileSystem fs = new RawLocalFileSystem();
        fs.initialize(java.net.URI.create("file:///"), new Configuration(false));
        return new ShardCommitter(fs, new org.apache.hadoop.fs.Path(dir.toUri()));
    }

    @Test
    void onlyTheReportedAttemptOfEachPartitionIsCommittedAndEverythingElseIsRemoved() throws IOException {
        ShardCommitter c = committer();
        Path temp = Files.createDirectories(Path.of(c.jobTempDir("job1").toUri()));
        Path staleJob = Files.createDirectories(Path.of(c.jobTempDir("crashed-job").toUri()));
        Files.writeString(staleJob.resolve("part-00000-s0-a0-t1.h5"), "half a file");
        Files.writeString(dir.resolve("part-00007.h5"), "a shard of an earlier, larger run");
        // Partition 0 ran twice (a speculative copy); Spark counted attempt 1. Attempt 0 wrote other values.
        attempt(temp, 0, "part-00000-s0-a0-t3.h5", 3, -1f);
        ShardResult winner0 = attempt(temp, 0, "part-00000-s0-a1-t5.h5", 3, 1f);
        ShardResult winner1 = attempt(temp, 1, "part-00001-s0-a0-t4.h5", 2, 2f);

        ShardManifest m = c.commit("job1", List.of(winner1, winner0), SPEC, Map.of("run", "2"));

        assertEquals(Set.of("manifest.json", "part-00000.h5", "part-00001.h5"), listing(dir));
        assertEquals(List.of("part-00000.h5", "part-00001.h5"), m.shards().stream().map(ShardManifest.Shard::file).toList());
        try (FeatureStore store = FeatureStore.open(dir)) {
            assertEquals(5, store.rows());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[]{1f, 1f, 1f, 2f, 2f},
                    store.readFeatures(0, 5).getColumn(0).toFloatVector(), "the reported attempt's rows, once each");
            assertEquals(Map.of("run", "2"), store.provenance());
        }
        m.verifyChecksums(dir);
    }

    @Test
    void aMissingOrChangedAttemptFileFailsTheCommitBeforeAManifestExists() throws IOException {
        ShardCommitter c = committer();
        Path temp = Files.createDirectories(Path.of(c.jobTempDir("job2").toUri()));
        ShardResult r = attempt(temp, 0, "part-00000-s0-a0-t1.h5", 2, 1f);
        Files.writeString(temp.resolve(r.attemptFile()), "replaced");
        StoreException e = assertThrows(StoreException.class, () -> c.commit("job2", List.of(r), SPEC, Map.of()));
        assertTrue(e.getMessage().contains("part-00000-s0-a0-t1.h5 of partition 0 is 8 bytes instead of " + r.bytes()),
                e.getMessage());
        Files.delete(temp.resolve(r.attemptFile()));
        e = assertThrows(StoreException.class, () -> c.commit("job2", List.of(r), SPEC, Map.of()));
        assertTrue(e.getMessage().contains("part-00000-s0-a0-t1.h5 of partition 0 is missing"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("manifest.json")));
    }
}
