package dev.transferkit.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.AsyncDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreDataSetIteratorTest {
    private static final int DIM = 4;
    private static final int ROWS = 103;

    @TempDir
    Path dir;
    private FeatureStore store;

    /** A store whose first feature of row r is r, so batches can be traced back to rows. */
    @BeforeEach
    void writeStore() {
        Path file = dir.resolve("iter.h5");
        try (FeatureStoreWriter w = FeatureStoreWriter.create(file, TestStores.spec(DIM), ROWS)) {
            for (int r = 0; r < ROWS; r += 25) {
                int n = Math.min(25, ROWS - r);
                float[][] f = TestStores.features(r, n, DIM);
                for (int i = 0; i < n; i++) {
                    f[i][0] = r + i;
                }
                w.append(f, TestStores.labels(r, n), TestStores.paths(r, n));
            }
            w.markComplete();
        }
        store = FeatureStore.open(file);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private StoreDataSetIterator.Builder iterator() {
        return StoreDataSetIterator.builder().setStore(store).setBatchSize(10).optBlockRows(16).optBufferRows(40).optSeed(7);
    }

    /** Returns the row ids of one epoch, checking batch sizes and one-hot labels on the way. */
    private static List<Integer> epoch(DataSetIterator it, int batch) {
        List<Integer> rows = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            int n = ds.numExamples();
            assertTrue(n == batch || !it.hasNext(), "only the last batch may be short, got " + n);
            assertEquals(DIM, ds.getFeatures().columns());
            assertEquals(TestStores.LABELS.size(), ds.getLabels().columns());
            for (int i = 0; i < n; i++) {
                int r = (int) ds.getFeatures().getFloat(i, 0);
                rows.add(r);
                assertEquals(1f, ds.getLabels().getRow(i).sumNumber().floatValue());
                assertEquals(1f, ds.getLabels().getFloat(i, TestStores.label(r)), "one-hot label of row " + r);
                assertEquals(TestStores.row(r, DIM)[1], ds.getFeatures().getFloat(i, 1), "features of row " + r);
            }
        }
        return rows;
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }

    @Test
    void everyEpochCoversEveryRowOnceInANewOrder() {
        StoreDataSetIterator it = iterator().build();
        List<List<Integer>> epochs = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            List<Integer> rows = epoch(it, 10);
            assertEquals(range(0, ROWS), rows.stream().sorted().toList(), "epoch " + e);
            epochs.add(rows);
            assertEquals(e, it.epoch());
            it.reset();
        }
        assertNotEquals(range(0, ROWS), epochs.get(0), "shuffled");
        assertNotEquals(epochs.get(0), epochs.get(1));
        assertNotEquals(epochs.get(1), epochs.get(2));
        assertThrows(NoSuchElementException.class, () -> {
            StoreDataSetIterator done = iterator().build();
            epoch(done, 10);
            done.next();
        });
    }

    @Test
    void theSameSeedGivesTheSameBatches() {
        StoreDataSetIterator a = iterator().build();
        StoreDataSetIterator b = iterator().build();
        StoreDataSetIterator c = iterator().optSeed(8).build();
        for (int e = 0; e < 2; e++) {
            List<Integer> ea = epoch(a, 10);
            assertEquals(ea, epoch(b, 10), "epoch " + e);
            assertNotEquals(ea, epoch(c, 10), "epoch " + e);
            a.reset();
            b.reset();
            c.reset();
        }
    }

    @Test
    void theShuffleBufferStaysBounded() {
        StoreDataSetIterator it = iterator().build();
        DataSet first = it.next();
        Set<Integer> blocks = new HashSet<>();
        for (int i = 0; i < first.numExamples(); i++) {
            blocks.add((int) first.getFeatures().getFloat(i, 0) / 16);
        }
        // The first buffer fill holds at most 40 / 16 = 2 blocks, so the first batch comes from at most 2 blocks.
        assertTrue(blocks.size() <= 2, "first batch drew from blocks " + blocks);
        epoch(it, 10);
        assertTrue(it.peakBufferedRows() <= 40 && it.peakBufferedRows() >= 32, "peak " + it.peakBufferedRows());
    }

    @Test
    void withoutShufflingRowsComeInStoreOrder() {
        StoreDataSetIterator it = iterator().optShuffle(false).build();
        assertEquals(range(0, ROWS), epoch(it, 10));
        it.reset();
        assertEquals(range(0, ROWS), epoch(it, 10));
    }

    @Test
    void aRowRangeIsCoveredExactly() {
        StoreDataSetIterator train = iterator().optRange(0, 80).build();
        StoreDataSetIterator validation = iterator().optRange(80, ROWS).optShuffle(false).setBatchSize(7).build();
        assertEquals(80, train.rowsPerEpoch());
        assertEquals(range(0, 80), epoch(train, 10).stream().sorted().toList());
        assertEquals(range(80, ROWS), epoch(validation, 7));
        StoreDataSetIterator middle = iterator().optRange(20, 61).build();
        assertEquals(range(20, 61), epoch(middle, 10).stream().sorted().toList());
        StoreDataSetIterator empty = iterator().optRange(50, 50).build();
        assertFalse(empty.hasNext());
    }

    @Test
    void describesItselfAndItsShape() {
        StoreDataSetIterator it = iterator().build();
        assertEquals(DIM, it.inputColumns());
        assertEquals(3, it.totalOutcomes());
        assertEquals(10, it.batch());
        assertEquals(TestStores.LABELS, it.getLabels());
        assertTrue(it.resetSupported() && it.asyncSupported());
        assertTrue(it.toString().contains("iter.h5") && it.toString().contains("seed 7"), it.toString());
        DataSet ds = it.next(3);
        assertEquals(3, ds.numExamples());
        assertEquals(TestStores.LABELS, ds.getLabelNamesList());
        it.setPreProcessor(d -> d.getFeatures().muli(0));
        assertEquals(0f, it.next().getFeatures().sumNumber().floatValue());
        assertThrows(IllegalArgumentException.class, () -> it.next(0));
    }

    @Test
    void invalidSettingsAreRefused() {
        IllegalArgumentException buffer = assertThrows(IllegalArgumentException.class,
                () -> iterator().optBufferRows(25).build());
        assertTrue(buffer.getMessage().contains("iter.h5") && buffer.getMessage().contains("16 + 10"), buffer.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> iterator().optRange(90, ROWS + 1).build());
        assertTrue(range.getMessage().contains("iter.h5") && range.getMessage().contains("[90, 104)"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> iterator().optRange(-1, 5).build());
        assertThrows(IllegalArgumentException.class, () -> iterator().optRange(9, 5).build());
        assertThrows(IllegalArgumentException.class, () -> iterator().setBatchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> iterator().optBlockRows(0).build());
        assertThrows(dev.transferkit.core.MissingSettingException.class, () -> StoreDataSetIterator.builder().setBatchSize(1).build());
    }

    @Test
    void prefetchingAndConcurrentIteratorsReadCorrectRows() throws Exception {
        AsyncDataSetIterator async = new AsyncDataSetIterator(iterator().build(), 4);
        try {
            assertEquals(range(0, ROWS), epoch(async, 10).stream().sorted().toList());
        } finally {
            async.shutdown();
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<List<Integer>>> runs = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                runs.add(pool.submit(() -> epoch(iterator().build(), 10)));
            }
            List<Integer> expected = epoch(iterator().build(), 10);
            for (Future<List<Integer>> run : runs) {
                assertEquals(expected, run.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
