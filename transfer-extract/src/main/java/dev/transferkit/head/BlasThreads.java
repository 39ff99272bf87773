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
 * Threads for the linear solvers. The solvers parallelise over folds, so their BLAS calls must not start threads of
 * their own: ND4J's OpenBLAS keeps a pool of server threads that spin (sched_yield) after every call and serialise
 * concurrent callers, which on a 2-core machine costs more than it gains. While solver tasks run, OpenBLAS's thread
 * count (a process-wide setting) is therefore 1, and restored when the last concurrent run ends; ND4J's own OpenMP
 * threads are limited per thread.
 */
final class BlasThreads {
    private static final Object LOCK = new Object();
    private static int running;
    private static int savedOpenBlasThreads;

    private BlasThreads() {
    }

    /** Makes OpenBLAS single-threaded, or counts one more run when it already is. */
    private static void enter() {
        synchronized (LOCK) {
            if (running++ == 0) {
                savedOpenBlasThreads = Nd4j.factory().blas().getMaxThreads();
                Nd4j.factory().blas().setMaxThreads(1);
            }
        }
    }

    /** Restores OpenBLAS's thread count when the last run ends. */
    private static void exit() {
        synchronized (LOCK) {
            if (--running == 0) {
                Nd4j.factory().blas().setMaxThreads(savedOpenBlasThreads);
            }
        }
    }

    /**
     * Runs tasks on a pool of daemon threads and waits for all.
     *
     * @param tasks the tasks
     * @param size  the pool's size
     * @param <T>   the tasks' result
     * @return the results, in task order
     * @throws RuntimeException the first task's failure, as thrown
     */
    static <T> List<T> runAll(List<Callable<T>> tasks, int size) {
        ExecutorService pool = pool(size);
        enter();
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
            exit();
        }
    }

    /** A fixed pool of daemon threads whose ND4J operations use one OpenMP thread. */
    private static ExecutorService pool(int size) {
        Nd4j.getExecutioner(); // initialises ND4J, which NativeOpsHolder needs
        AtomicInteger count = new AtomicInteger();
        return Executors.newFixedThreadPool(size, task -> {
            Thread t = new Thread(() -> {
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
                task.run();
            }, "transferkit-linear-head-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs one task on a thread of its own and waits for it.
     *
     * @param task the task
     * @param <T>  the result
     * @return the result
     */
    static <T> T run(Callable<T> task) {
        return runAll(List.of(task), 1).get(0);
    }

    /** Waits for a task, rethrowing its failure as it was thrown. */
    private static <T> T await(Future<T> future) {
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
