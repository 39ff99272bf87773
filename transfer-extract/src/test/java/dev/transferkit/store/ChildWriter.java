package dev.transferkit.store;

import java.nio.file.Path;

/**
 * The main class of the child JVMs in the store tests. Modes:
 * <ul>
 *   <li>{@code hold FILE DIM}: opens a writer on FILE, prints "holding" and waits to be killed;</li>
 *   <li>{@code write FILE DIM ROWS BATCH SLEEP_MS}: resumes FILE and appends rows up to ROWS, printing
 *       "committed N" after each batch and sleeping between batches;</li>
 *   <li>{@code halt FILE DIM ROWS BATCH HALT_BATCH}: like write, but the process halts abruptly between the data
 *       flush and the commit of batch number HALT_BATCH (counted from 1 in this run);</li>
 *   <li>{@code fill FILE DIM ROWS BATCH 0}: like write, run under a file size limit: when an append fails it prints
 *       "failed: MESSAGE" and the rows committed so far, closes the writer and exits with status 0.</li>
 * </ul>
 */
public final class ChildWriter {
    private ChildWriter() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path file = Path.of(args[1]);
        int dim = Integer.parseInt(args[2]);
        try (FeatureStoreWriter w = FeatureStoreWriter.openForResume(file, TestStores.spec(dim))) {
            if (args[0].equals("hold")) {
                System.out.println("holding");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            long rows = Long.parseLong(args[3]);
            int batch = Integer.parseInt(args[4]);
            long param = Long.parseLong(args[5]);
            if (args[0].equals("halt")) {
                int[] batchNo = {0};
                w.afterDataFlush = () -> {
                    if (++batchNo[0] == param) {
                        System.out.println("halting");
                        System.out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                };
            }
            System.out.println("resumed " + w.rows());
            while (w.rows() < rows) {
                long r = w.rows();
                if (args[0].equals("fill")) {
                    try {
                        TestStores.appendRows(w, r, Math.min(rows, r + batch), batch, dim);
                    } catch (RuntimeException e) {
                        System.out.println("failed: " + e.getMessage());
                        System.out.println("committed " + w.rows());
                        try {
                            w.close();
                            System.out.println("closed");
                        } catch (RuntimeException closing) {
                            System.out.println("close failed: " + closing.getMessage());
                        }
                        System.out.flush();
                        return;
                    }
                } else {
                    TestStores.appendRows(w, r, Math.min(rows, r + batch), batch, dim);
                }
                System.out.println("committed " + w.rows());
                System.out.flush();
                if (args[0].equals("write")) {
                    Thread.sleep(param);
                }
            }
            w.markComplete();
            System.out.println("complete");
        }
    }
}
