package dev.transferkit.engine;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Applies a layer's activation function in place, with the same ND4J implementation DL4J uses. */
final class Activations {
    private Activations() {
    }

    /** @return whether the function leaves values unchanged */
    static boolean isIdentity(IActivation fn) {
        return fn == null || fn instanceof ActivationIdentity;
    }

    /**
     * Applies an activation to an array, overwriting it.
     *
     * @param fn the function, or null for none
     * @param x  the array
     * @return {@code x}
     */
    static INDArray applyInPlace(IActivation fn, INDArray x) {
        if (isIdentity(fn)) {
            return x;
        }
        INDArray r = fn.getActivation(x, false);
        if (r != x) {
            x.assign(r);
        }
        return x;
    }

    /** @return a short name of the function, e.g. {@code relu6} */
    static String name(IActivation fn) {
        return isIdentity(fn) ? "identity" : fn.toString();
    }
}
