package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Runs a {@link Program} on a batch, reusing buffers: each slot's memory goes back to the {@link BufferPool} after the
 * last instruction that reads it (counting views and in-place results that share that memory), and a step may write
 * over its first input when nothing reads that input afterwards. Not thread-safe.
 */
final class Executor {
    private final Program program;
    private final BufferPool pool;
    private long lastBatch = -1;
    private long[] nanos;

    Executor(Program program, BufferPool pool) {
        this.program = program;
        this.pool = pool;
    }

    /**
     * Runs the program.
     *
     * @param input the batch, in the layout the program expects
     * @return the output, a new array that shares no memory with the engine's buffers
     */
    INDArray run(INDArray input) {
        if (input.size(0) != lastBatch) {
            pool.clear(); // buffers are sized for one batch size; do not keep two sets
            lastBatch = input.size(0);
        }
        INDArray[] values = new INDArray[program.slots()];
        INDArray[] roots = new INDArray[program.slots()];
        Map<INDArray, Integer> refs = new IdentityHashMap<>();
        values[program.inputSlot()] = input;
        roots[program.inputSlot()] = input;
        refs.put(input, 1);
        try {
            int index = 0;
            for (Program.Instruction ins : program.instructions()) {
                INDArray[] in = new INDArray[ins.inputs().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = values[ins.inputs()[i]];
                }
                Step step = ins.step();
                boolean overwrite = step.canRunInPlace() && canOverwrite(ins, index, roots, refs);
                INDArray out;
                long start = nanos == null ? 0 : System.nanoTime();
                try {
                    out = step.run(in, pool, overwrite);
                } catch (RuntimeException e) {
                    throw new EngineException("The engine failed at vertex '" + ins.vertex() + "' (" + step.describe()
                            + "): " + e.getMessage(), e);
                }
                if (nanos != null) {
                    nanos[index] += System.nanoTime() - start;
                }
                INDArray root = overwrite || step.returnsViewOfInput() ? roots[ins.inputs()[0]] : out;
                values[ins.output()] = out;
                roots[ins.output()] = root;
                refs.merge(root, 1, Integer::sum);
                for (int i = 0; i < ins.inputs().length; i++) {
                    int s = ins.inputs()[i];
                    if (program.lastUse(s) == index && firstOccurrence(ins.inputs(), i)) {
                        release(roots[s], refs);
                    }
                }
                if (program.lastUse(ins.output()) < 0) {
                    release(root, refs);
                }
                index++;
            }
            return values[program.outputSlot()].dup('c');
        } finally {
            pool.recycleAll();
        }
    }

    /**
     * Starts or stops timing each instruction.
     *
     * @param on true to time from now on (resetting the totals), false to stop
     */
    void timing(boolean on) {
        nanos = on ? new long[program.instructions().size()] : null;
    }

    /** @return nanoseconds spent in each instruction since timing started, or null when not timing */
    long[] timings() {
        return nanos == null ? null : nanos.clone();
    }

    /** Input 0 may be overwritten when this is its last reader, it is read once here, and no other slot shares it. */
    private boolean canOverwrite(Program.Instruction ins, int index, INDArray[] roots, Map<INDArray, Integer> refs) {
        int s = ins.inputs()[0];
        if (program.lastUse(s) != index) {
            return false;
        }
        for (int i = 1; i < ins.inputs().length; i++) {
            if (roots[ins.inputs()[i]] == roots[s]) {
                return false;
            }
        }
        return pool.owns(roots[s]) && refs.getOrDefault(roots[s], 0) == 1;
    }

    private static boolean firstOccurrence(int[] slots, int i) {
        for (int j = 0; j < i; j++) {
            if (slots[j] == slots[i]) {
                return false;
            }
        }
        return true;
    }

    private void release(INDArray root, Map<INDArray, Integer> refs) {
        int n = refs.merge(root, -1, Integer::sum);
        if (n <= 0) {
            refs.remove(root);
            pool.give(root);
        }
    }
}
