package dev.transferkit.head;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads for the linear solvers' parallel work. Each runs ND4J's BLAS on one thread (OpenMP's thread count is per
 * calling thread): the parallelism is across folds, and small matrix-vector products lose more to BLAS threads
 * waiting for a busy core than they gain. It also makes every fold's arithmetic independent of the pool size.
 */
final class BlasThreads {
    private BlasThreads() {
    }

    /**
     * @param name prefix of the thread names
     * @return a factory of daemon threads whose BLAS calls are single-threaded
     */
    static ThreadFactory singleThreaded(String name) {
        AtomicInteger count = new AtomicInteger();
        Nd4j.getExecutioner(); // initialises ND4J, which NativeOpsHolder needs
        return task -> {
            Thread t = new Thread(() -> {
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
                task.run();
            }, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
