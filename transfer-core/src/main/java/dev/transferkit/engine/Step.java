package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One operation of a compiled network: reads the activations of its inputs and produces one array. */
interface Step {
    /**
     * Runs the operation.
     *
     * @param inputs    the input activations, in the layouts the compiler arranged
     * @param pool      where to take the output buffer from
     * @param overwrite true when the step may (and, if {@link #canRunInPlace()}, must) write its result into
     *                  {@code inputs[0]}, because nothing else reads it afterwards
     * @return the result
     */
    INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite);

    /** @return whether the step writes its result into input 0 when allowed to (activations, additions) */
    default boolean canRunInPlace() {
        return false;
    }

    /** @return whether the result is a view of input 0's memory (a reshape), so input 0 must stay alive with it */
    default boolean returnsViewOfInput() {
        return false;
    }

    /** @return the operation and its settings, for reports and logs */
    String describe();
}
