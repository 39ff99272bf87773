package dev.transferkit.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

/**
 * Activation buffers reused between operations and between batches: an operation takes a buffer of the shape it
 * needs, the executor gives it back once no later operation reads it, and after a batch every buffer is free again.
 * Only buffers this pool created are ever reused. Not thread-safe; one executor owns it.
 */
final class BufferPool {
    private final DataType dataType;
    private final Map<List<Long>, ArrayDeque<INDArray>> free = new HashMap<>();
    private final Set<INDArray> owned = Collections.newSetFromMap(new IdentityHashMap<>());

    BufferPool(DataType dataType) {
        this.dataType = dataType;
    }

    /** @return the element type of every buffer */
    DataType dataType() {
        return dataType;
    }

    /**
     * Takes a free c-ordered buffer of a shape, creating one when none is free. Its contents are undefined.
     *
     * @param shape the shape
     * @return a buffer owned by this pool
     */
    INDArray take(long... shape) {
        ArrayDeque<INDArray> q = free.get(key(shape));
        if (q != null && !q.isEmpty()) {
            return q.pop();
        }
        INDArray a = Nd4j.createUninitialized(dataType, shape.clone(), 'c');
        owned.add(a);
        return a;
    }

    /** @return whether the array is a buffer this pool created */
    boolean owns(INDArray a) {
        return owned.contains(a);
    }

    /** Gives a buffer back; arrays the pool did not create are ignored. */
    void give(INDArray a) {
        if (owned.contains(a)) {
            free.computeIfAbsent(key(a.shape()), k -> new ArrayDeque<>()).push(a);
        }
    }

    /** Marks every buffer free, after a batch. */
    void recycleAll() {
        free.clear();
        for (INDArray a : owned) {
            free.computeIfAbsent(key(a.shape()), k -> new ArrayDeque<>()).push(a);
        }
    }

    /** Forgets every buffer, so that memory for another batch size is not kept. */
    void clear() {
        free.clear();
        owned.clear();
    }

    /** @return the bytes of all buffers the pool holds */
    long bytes() {
        return owned.stream().mapToLong(a -> a.length() * dataType.width()).sum();
    }

    private static List<Long> key(long[] shape) {
        return LongStream.of(shape).boxed().toList();
    }
}
