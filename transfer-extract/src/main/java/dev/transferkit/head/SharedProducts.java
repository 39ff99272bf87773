package dev.transferkit.head;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Products of one matrix {@code M} with the vectors of several minimisers running side by side, one per thread
 * (the folds of a cross-validation, each a party). A party submits one product ({@code M v} or {@code M^T v}) and
 * waits; once every party still running has submitted, the products are done together, as at most two matrix-matrix
 * products with the parties' vectors as columns in party order. The matrix is then read once per round for all
 * folds instead of once per fold, and the arithmetic does not depend on thread timing.
 */
final class SharedProducts {
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

    private final INDArray matrix;
    private final AtomicReferenceArray<Request> requests;
    private final AtomicReferenceArray<Result> results;
    private final Phaser phaser;

    /**
     * @param matrix  the matrix, from {@link Blas#matrix}
     * @param parties the number of parties; each must take its {@link #party} and close it
     */
    SharedProducts(INDArray matrix, int parties) {
        this.matrix = matrix;
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
        double[] product = Blas.multiply(matrix, transpose, v, total);
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
