package dev.transferkit.spark;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.model.BaseModel;
import dev.transferkit.extract.FeatureTarget;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The per-JVM (per-executor) cache of deserialised base models. A model reaches executors once, as the broadcast bytes
 * of its {@link BaseModel#save(Path) zip}; the first task in a JVM that needs it loads it, and every later task in that
 * JVM reuses it. Concurrent tasks each borrow their own {@link FeaturePipeline} (built from the one loaded model), so
 * the executor's cores run forward passes in parallel, and a returned pipeline (with its DL4J workspace memory) serves
 * the next task. Models are keyed by the SHA-256 of their zip, computed once on the driver, rather than by broadcast
 * id: every job broadcasts anew, and keying by content lets later jobs with the same model (e.g. the train and test
 * splits) reuse the loaded model and its pipelines instead of loading another copy. At most {@value #MAX_MODELS} models
 * stay cached (least recently used dropped first), so a long-lived executor that runs many jobs does not accumulate
 * them.
 */
final class ExecutorModels {
    static final int MAX_MODELS = 2;
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Map<String, Entry> CACHE = new LinkedHashMap<>(4, 0.75f, true);
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {
    }

    /** One loaded model and the idle pipelines built from it, per layer and pooling. */
    private static final class Entry {
        final BaseModel model;
        final Map<String, Deque<FeaturePipeline>> idle = new LinkedHashMap<>();

        Entry(BaseModel model) {
            this.model = model;
        }
    }

    /**
     * A pipeline lent to one task; {@link #close()} returns it.
     *
     * @param id       the model's cache entry
     * @param key      the feature target the pipeline serves
     * @param pipeline the pipeline
     */
    record Lease(String id, String key, FeaturePipeline pipeline) implements AutoCloseable {
        @Override
        public void close() {
            synchronized (CACHE) {
                Entry e = CACHE.get(id);
                if (e != null) {
                    e.idle.computeIfAbsent(key, k -> new ArrayDeque<>()).push(pipeline);
                }
            }
        }
    }

    /**
     * Lends a pipeline for a broadcast model, loading the model if this JVM has not yet.
     *
     * @param digest  the SHA-256 of the model zip, which identifies the model
     * @param model   the broadcast model zip, read only when this JVM has not loaded the model
     * @param target  the feature layer and pooling
     * @return a pipeline no other task uses until the lease is closed
     */
    static Lease borrow(String digest, Broadcast<byte[]> model, FeatureTarget target) {
        String id = digest;
        String key = target.toString();
        Entry entry;
        synchronized (CACHE) {
            entry = CACHE.get(id);
            if (entry == null) {
                entry = new Entry(load(model.value(), model.id()));
                CACHE.put(id, entry);
                evict();
            }
            Deque<FeaturePipeline> idle = entry.idle.get(key);
            if (idle != null && !idle.isEmpty()) {
                return new Lease(id, key, idle.pop());
            }
        }
        // Building a pipeline cuts the graph: done outside the lock, so other tasks can borrow meanwhile.
        return new Lease(id, key, new FeaturePipeline(entry.model, List.of(target)));
    }

    private static void evict() {
        Iterator<String> ids = CACHE.keySet().iterator();
        while (CACHE.size() > MAX_MODELS && ids.hasNext()) {
            String dropped = ids.next();
            ids.remove();
            LOG.info("Dropped the cached base model {} from this executor.", dropped);
        }
    }

    private static BaseModel load(byte[] zip, long id) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("transferkit-model-" + id + "-", ".zip");
            Files.write(tmp, zip);
            BaseModel m = BaseModel.load(tmp);
            LOADS.incrementAndGet();
            LOG.info("Loaded base model {} ({} bytes) from broadcast {} on this executor.", m.name(), zip.length, id);
            return m;
        } catch (IOException e) {
            throw new TransferKitIOException("Could not unpack the broadcast base model " + id + " to a temporary file ("
                    + e.getMessage() + "); check the executor's temporary directory.", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // A leftover temporary file is harmless.
                }
            }
        }
    }

    /** @return how many times this JVM has deserialised a broadcast model (for tests) */
    static int loads() {
        return LOADS.get();
    }
}
