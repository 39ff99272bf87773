package dev.transferkit.head;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads for the linear solvers, each with its own count of BLAS threads (OpenMP's thread count, which ND4J's
 * OpenBLAS follows, is a per-thread setting), so that the solvers' products use the trainer's threads whatever the
 * calling thread's setting.
 */
final class BlasThreads {
    private BlasThreads() {
    }

    /**
     * Runs tasks on a pool of daemon threads and waits for all.
     *
     * @param tasks       the tasks
     * @param size        the pool's size
     * @param blasThreads BLAS threads of each pool thread
     * @param <T>         the tasks' result
     * @return the results, in task order
     * @throws RuntimeException the first task's failure, as thrown
     */
    static <T> List<T> runAll(List<Callable<T>> tasks, int size, int blasThreads) {
        ExecutorService pool = pool(size, blasThreads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(task));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(await(future));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * @param size        the number of threads
     * @param blasThreads BLAS threads of each
     * @return a fixed pool of daemon threads; shut it down after use
     */
    static ExecutorService pool(int size, int blasThreads) {
        Nd4j.getExecutioner(); // initialises ND4J, which NativeOpsHolder needs
        AtomicInteger count = new AtomicInteger();
        return Executors.newFixedThreadPool(size, task -> {
            Thread t = new Thread(() -> {
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(blasThreads);
                task.run();
            }, "transferkit-linear-head-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs one task on a thread of its own and waits for it.
     *
     * @param task        the task
     * @param blasThreads BLAS threads of that thread
     * @param <T>         the result
     * @return the result
     */
    static <T> T run(Callable<T> task, int blasThreads) {
        return runAll(List.of(task), 1, blasThreads).get(0);
    }

    /**
     * Waits for a task, rethrowing its failure as it was thrown.
     *
     * @param future the task
     * @param <T>    its result
     * @return its result
     */
    static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while training a linear head.", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("Training a linear head failed: " + e.getCause(), e.getCause());
        }
    }
}
