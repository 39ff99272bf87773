package dev.transferkit.predict;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;

/**
 * Feature vectors stored with their true classes by an earlier extraction, readable in blocks: what
 * {@link TransferModel#evaluate(StoredFeatures)} scores without running the network again. transfer-extract's HDF5
 * {@code FeatureStore} is one.
 */
public interface StoredFeatures {
    /** @return where the features are stored, for messages */
    Path path();

    /** @return the network, layer, pooling, input size and preprocessing the features were computed with */
    FeatureOrigin origin();

    /** @return the length of one feature vector */
    int dim();

    /** @return the class names, by the label indices {@link #readLabels} returns */
    List<String> labelNames();

    /** @return the number of stored rows */
    long rows();

    /**
     * Reads consecutive feature vectors.
     *
     * @param start the first row
     * @param count how many rows
     * @return {@code [count, dim()]}
     */
    INDArray readFeatures(long start, int count);

    /**
     * Reads consecutive true classes.
     *
     * @param start the first row
     * @param count how many rows
     * @return one label index per row
     */
    int[] readLabels(long start, int count);
}
