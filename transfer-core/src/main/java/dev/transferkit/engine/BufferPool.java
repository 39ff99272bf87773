package dev.transferkit.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Activation memory reused between operations and between batches. Memory is held as flat blocks; an operation takes
 * a c-ordered array of the shape it needs, laid over the smallest free block that is large enough (a new block when
 * none is), the executor gives it back once no later operation reads it, and after a batch every block is free again.
 * So the memory held stays near the largest set of activations alive at one time, whatever the number of layers.
 * Only arrays this pool handed out are ever reused. Not thread-safe; one executor owns it.
 */
final class BufferPool {
    private final DataType dataType;
    /** Free blocks by length; several blocks may share a length. */
    private final TreeMap<Long, List<INDArray>> free = new TreeMap<>();
    /** Every array handed out since the last recycle, with the block under it. */
    private final Map<INDArray, INDArray> handedOut = new IdentityHashMap<>();
    private final List<INDArray> blocks = new ArrayList<>();

    BufferPool(DataType dataType) {
        this.dataType = dataType;
    }

    /**
     * Takes a c-ordered array of a shape over a free block, creating a block when none is large enough. Its contents
     * are undefined.
     *
     * @param shape the shape
     * @return an array owned by this pool
     */
    INDArray take(long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        Map.Entry<Long, List<INDArray>> e = free.ceilingEntry(n);
        INDArray block;
        if (e != null) {
            List<INDArray> list = e.getValue();
            block = list.remove(list.size() - 1);
            if (list.isEmpty()) {
                free.remove(e.getKey());
            }
        } else {
            block = Nd4j.createUninitialized(dataType, new long[]{Math.max(n, 1)}, 'c');
            blocks.add(block);
        }
        INDArray view = block.length() == n ? block : block.get(NDArrayIndex.interval(0, n));
        INDArray a = view.reshape('c', shape.clone());
        handedOut.put(a, block);
        return a;
    }

    /** @return whether the array was handed out by this pool and not given back */
    boolean owns(INDArray a) {
        return handedOut.containsKey(a);
    }

    /** Gives an array back, freeing its block; arrays the pool did not hand out are ignored. */
    void give(INDArray a) {
        INDArray block = handedOut.remove(a);
        if (block != null) {
            free.computeIfAbsent(block.length(), k -> new ArrayList<>()).add(block);
        }
    }

    /** Frees every block, after a batch. */
    void recycleAll() {
        handedOut.clear();
        free.clear();
        for (INDArray b : blocks) {
            free.computeIfAbsent(b.length(), k -> new ArrayList<>()).add(b);
        }
    }

    /** Releases every block's native memory now (not at the next garbage collection); the pool stays usable. */
    void clear() {
        handedOut.clear();
        free.clear();
        for (INDArray b : blocks) {
            if (b.closeable()) {
                b.close();
            }
        }
        blocks.clear();
    }

    /** @return the bytes of all blocks the pool holds */
    long bytes() {
        return blocks.stream().mapToLong(b -> b.length() * dataType.width()).sum();
    }

    /** @return the blocks, largest first (for tests and logs) */
    List<Long> blockLengths() {
        return blocks.stream().map(INDArray::length).sorted(Comparator.reverseOrder()).toList();
    }
}
