package dev.transferkit.store;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One-hot encoding of class indices, shared by {@link LoadedFeatures} and {@link StoreDataSetIterator}. */
final class OneHot {
    private OneHot() {
    }

    /**
     * Encodes class indices.
     *
     * @param labels  class indices, each in {@code [0, classes)}
     * @param classes the number of classes
     * @return a float array {@code [labels.length, classes]}
     */
    static INDArray encode(int[] labels, int classes) {
        if (labels.length == 0) {
            return Nd4j.create(DataType.FLOAT, 0, classes);
        }
        float[] data = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            data[i * classes + labels[i]] = 1f;
        }
        return Nd4j.create(data, new long[]{labels.length, classes}, 'c');
    }
}
