package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Products of one matrix {@code M} with the vectors of several minimisers running side by side, one per thread
 * (the folds of a cross-validation, each a party). A party submits one product ({@code M v} or {@code M^T v}) and
 * waits; once every party still running has submitted, the products are done together, as at most two matrix-matrix
 * products with the parties' vectors as columns in party order. The matrix is then read once per round for all
 * folds instead of once per fold, and only one thread calls BLAS at a time. Each product is split into a fixed
 * number of blocks of rows, computed on the given number of threads and combined in block order, so the arithmetic
 * depends neither on thread timing nor on the number of threads. Close it to stop its threads.
 */
final class SharedProducts implements AutoCloseable {
    /** One party's access to the products. Close it when the party is done, so that the others stop waiting for it. */
    final class Party implements Products, AutoCloseable {
        private final int id;
        private boolean closed;

        private Party(int id) {
            this.id = id;
        }

        /**
         * @param v row-major {@code columns(M) x r}
         * @param r columns of {@code v}
         * @return row-major {@code M v}, {@code rows(M) x r}
         */
        @Override
        public double[] times(double[] v, int r) {
            return submit(id, new Request(false, v, r));
        }

        /**
         * @param v row-major {@code rows(M) x r}
         * @param r columns of {@code v}
         * @return row-major {@code M^T v}, {@code columns(M) x r}
         */
        @Override
        public double[] transposeTimes(double[] v, int r) {
            return submit(id, new Request(true, v, r));
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                phaser.arriveAndDeregister();
            }
        }
    }

    private record Request(boolean transpose, double[] v, int r) {
    }

    private record Result(double[] values, Throwable error) {
    }

    /** Rows per block of a product, at least; a matrix has at most {@link #MAX_BLOCKS} blocks. */
    private static final int MIN_BLOCK_ROWS = 256;
    private static final int MAX_BLOCKS = 8;

    private final INDArray matrix;
    private final int[] blockStarts;
    private final ExecutorService helpers;
    private final int helperCount;
    private final AtomicReferenceArray<Request> requests;
    private final AtomicReferenceArray<Result> results;
    private final Phaser phaser;

    /**
     * @param matrix  the matrix, from {@link Blas#matrix}
     * @param parties the number of parties; each must take its {@link #party} and close it
     * @param threads the threads to compute each round's products with
     */
    SharedProducts(INDArray matrix, int parties, int threads) {
        this.matrix = matrix;
        int blocks = Math.max(1, Math.min(MAX_BLOCKS, (int) (matrix.rows() / MIN_BLOCK_ROWS)));
        this.blockStarts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) {
            blockStarts[b] = (int) (matrix.rows() * b / blocks);
        }
        this.helperCount = Math.min(threads, blocks) - 1;
        this.helpers = helperCount > 0 ? BlasThreads.pool(helperCount, 1) : null;
        this.requests = new AtomicReferenceArray<>(parties);
        this.results = new AtomicReferenceArray<>(parties);
        this.phaser = new Phaser(parties) {
            @Override
            protected boolean onAdvance(int phase, int registered) {
                // Runs in the last party to arrive, before any waiting party continues.
                compute();
                return registered == 0;
            }
        };
    }

    /**
     * @param id the party's number, from 0
     * @return its access
     */
    Party party(int id) {
        return new Party(id);
    }

    /** @return the number of rows of the matrix */
    int rows() {
        return (int) matrix.rows();
    }

    /** @return the number of columns of the matrix */
    int columns() {
        return (int) matrix.columns();
    }

    private double[] submit(int id, Request request) {
        requests.set(id, request);
        phaser.arriveAndAwaitAdvance();
        Result result = results.getAndSet(id, null);
        if (result.error() != null) {
            throw new IllegalStateException("A shared matrix product failed: " + result.error(), result.error());
        }
        return result.values();
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }

    private void compute() {
        try {
            compute(false);
            compute(true);
        } catch (RuntimeException | Error e) {
            for (int id = 0; id < requests.length(); id++) {
                if (requests.getAndSet(id, null) != null) {
                    results.set(id, new Result(null, e));
                }
            }
        }
    }

    /** {@code M V} or {@code M^T V}, block by block, the blocks spread over the helper threads and the caller. */
    private double[] blockwise(boolean transpose, double[] v, int r) {
        int blocks = blockStarts.length - 1;
        double[][] parts = new double[blocks][];
        List<Future<?>> pending = new ArrayList<>();
        AtomicInteger next = new AtomicInteger();
        Runnable work = () -> {
            for (int b = next.getAndIncrement(); b < blocks; b = next.getAndIncrement()) {
                parts[b] = Blas.multiply(matrix, blockStarts[b], blockStarts[b + 1], transpose, v, r);
            }
        };
        if (helpers != null) {
            for (int t = 0; t < helperCount; t++) {
                pending.add(helpers.submit(work));
            }
        }
        work.run();
        for (Future<?> f : pending) {
            BlasThreads.await(f);
        }
        if (transpose) {
            double[] sum = parts[0];
            for (int b = 1; b < blocks; b++) {
                Coefficients.addScaled(1, parts[b], sum);
            }
            return sum;
        }
        double[] out = new double[rows() * r];
        for (int b = 0; b < blocks; b++) {
            System.arraycopy(parts[b], 0, out, blockStarts[b] * r, parts[b].length);
        }
        return out;
    }

    /** Multiplies the pending requests of one kind together, their vectors side by side in party order. */
    private void compute(boolean transpose) {
        int inner = transpose ? rows() : columns();
        int outer = transpose ? columns() : rows();
        int total = 0;
        for (int id = 0; id < requests.length(); id++) {
            Request q = requests.get(id);
            if (q != null && q.transpose() == transpose) {
                total += q.r();
            }
        }
        if (total == 0) {
            return;
        }
        double[] v = new double[inner * total];
        int offset = 0;
        for (int id = 0; id < requests.length(); id++) {
            Request q = requests.get(id);
            if (q != null && q.transpose() == transpose) {
                for (int i = 0; i < inner; i++) {
                    System.arraycopy(q.v(), i * q.r(), v, i * total + offset, q.r());
                }
                offset += q.r();
            }
        }
        double[] product = blockwise(transpose, v, total);
        offset = 0;
        for (int id = 0; id < requests.length(); id++) {
            Request q = requests.get(id);
            if (q != null && q.transpose() == transpose) {
                double[] out = new double[outer * q.r()];
                for (int i = 0; i < outer; i++) {
                    System.arraycopy(product, i * total + offset, out, i * q.r(), q.r());
                }
                offset += q.r();
                requests.set(id, null);
                results.set(id, new Result(out, null));
            }
        }
    }
}
