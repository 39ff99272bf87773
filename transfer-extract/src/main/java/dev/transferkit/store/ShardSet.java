package dev.transferkit.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shards of a sharded store seen as one row range: maps a global row range onto the shards it spans. Shards are
 * opened on first use, checked against the manifest (spec and row count), and at most {@value #MAX_OPEN} stay open
 * (least recently used closed first), so a store of thousands of shards does not exhaust file handles. All methods
 * are synchronized: a shard is never closed while another thread reads it.
 */
final class ShardSet implements AutoCloseable {
    static final int MAX_OPEN = 32;

    /** Receives one piece of a row range: {@code count} rows of {@code shard} from {@code shardStart}, at {@code offset} of the range. */
    interface Piece {
        void accept(FeatureStore shard, long shardStart, int count, int offset);
    }

    private final Path dir;
    private final ShardManifest manifest;
    private final long[] starts;
    private final Map<Integer, FeatureStore> open = new LinkedHashMap<>(16, 0.75f, true);

    ShardSet(Path dir, ShardManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
        manifest.requireShardFiles(dir);
        List<ShardManifest.Shard> shards = manifest.shards();
        starts = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            starts[i + 1] = starts[i] + shards.get(i).rows();
        }
    }

    ShardManifest manifest() {
        return manifest;
    }

    /** Splits rows {@code [start, start + count)} into per-shard pieces, in order. */
    synchronized void forEachPiece(long start, int count, Piece piece) {
        long end = start + count;
        int i = shardOf(start);
        long at = start;
        while (at < end) {
            while (starts[i + 1] <= at) {
                i++;
            }
            int n = (int) (Math.min(end, starts[i + 1]) - at);
            piece.accept(shard(i), at - starts[i], n, (int) (at - start));
            at += n;
        }
    }

    /** @return the index of the shard holding global row {@code row} (the first non-empty one at or after it) */
    private int shardOf(long row) {
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= row) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Reads the failures of every shard, in shard order. */
    synchronized List<Failure> failures() {
        List<Failure> out = new ArrayList<>();
        for (int i = 0; i < manifest.shards().size(); i++) {
            if (manifest.shards().get(i).failures() > 0) {
                out.addAll(shard(i).failures());
            }
        }
        return out;
    }

    private FeatureStore shard(int i) {
        FeatureStore s = open.get(i);
        if (s != null) {
            return s;
        }
        ShardManifest.Shard entry = manifest.shards().get(i);
        Path file = dir.resolve(entry.file());
        s = FeatureStore.open(file);
        try {
            s.requireCompatible(manifest.spec());
            if (s.rows() != entry.rows()) {
                throw new StoreFormatException(file, "The shard " + file + " has " + s.rows() + " rows but the manifest "
                        + dir.resolve(ShardManifest.FILE_NAME) + " records " + entry.rows() + "; it was replaced after extraction.");
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        if (open.size() >= MAX_OPEN) {
            Iterator<FeatureStore> eldest = open.values().iterator();
            eldest.next().close();
            eldest.remove();
        }
        open.put(i, s);
        return s;
    }

    /** @return the number of shard files open now (for tests) */
    synchronized int openCount() {
        return open.size();
    }

    @Override
    public synchronized void close() {
        for (FeatureStore s : open.values()) {
            s.close();
        }
        open.clear();
    }

    @Override
    public String toString() {
        return "ShardSet(" + dir + ", " + manifest.shards().size() + " shards, " + open.size() + " open)";
    }
}
