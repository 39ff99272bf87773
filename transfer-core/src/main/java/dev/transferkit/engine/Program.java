package dev.transferkit.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A compiled network: a straight-line list of steps over numbered value slots. Slot {@link #inputSlot()} holds the
 * batch; each instruction reads slots and writes one new slot; {@link #lastUse(int)} tells when a slot's memory may
 * be reused. Built by {@link GraphCompiler}, run by {@link Executor}.
 */
final class Program {
    /**
     * One step with its slots.
     *
     * @param vertex the vertex (or vertex part) it computes, for error messages
     * @param step   the operation
     * @param inputs the slots it reads
     * @param output the slot it writes
     */
    record Instruction(String vertex, Step step, int[] inputs, int output) {
    }

    private final List<Instruction> instructions;
    private final int slots;
    private final int inputSlot;
    private final int outputSlot;
    private final int[] lastUse;

    private Program(List<Instruction> instructions, int slots, int inputSlot, int outputSlot) {
        this.instructions = List.copyOf(instructions);
        this.slots = slots;
        this.inputSlot = inputSlot;
        this.outputSlot = outputSlot;
        this.lastUse = new int[slots];
        Arrays.fill(lastUse, -1);
        for (int i = 0; i < this.instructions.size(); i++) {
            for (int s : this.instructions.get(i).inputs()) {
                lastUse[s] = i;
            }
        }
        lastUse[outputSlot] = Integer.MAX_VALUE;
    }

    List<Instruction> instructions() {
        return instructions;
    }

    int slots() {
        return slots;
    }

    int inputSlot() {
        return inputSlot;
    }

    int outputSlot() {
        return outputSlot;
    }

    /** @return the index of the last instruction that reads the slot; -1 if none, MAX_VALUE for the output */
    int lastUse(int slot) {
        return lastUse[slot];
    }

    /** Assembles a program instruction by instruction. */
    static final class Builder {
        private final List<Instruction> instructions = new ArrayList<>();
        private int slots = 1;

        /** @return the slot of the network input */
        int inputSlot() {
            return 0;
        }

        /**
         * Appends an instruction.
         *
         * @param vertex the vertex it computes
         * @param step   the operation
         * @param inputs the slots it reads
         * @return the slot it writes
         */
        int add(String vertex, Step step, int... inputs) {
            int out = slots++;
            instructions.add(new Instruction(vertex, step, inputs.clone(), out));
            return out;
        }

        Program build(int outputSlot) {
            return new Program(instructions, slots, 0, outputSlot);
        }
    }
}
