package dev.transferkit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on arrays. */
final class Close {
    private Close() {
    }

    /**
     * Asserts equal shapes and a largest absolute difference within a tolerance.
     *
     * @param what      what is compared, for the message
     * @param expected  the reference
     * @param actual    the value under test
     * @param tolerance the largest allowed absolute difference
     * @return the largest absolute difference
     */
    static double assertClose(String what, INDArray expected, INDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape " + Arrays.toString(actual.shape())
                + " instead of " + Arrays.toString(expected.shape()));
        double diff = expected.castTo(actual.dataType()).sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max abs difference " + diff + " > " + tolerance
                + " (largest reference value " + expected.amaxNumber() + ")");
        return diff;
    }
}
