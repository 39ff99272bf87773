package dev.transferkit.store;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

/**
 * All rows of a store in memory, for heads that train on the whole matrix at once.
 *
 * @param features   float array {@code [rows, featureDim]}, rows in store order
 * @param labels     one class index per row
 * @param labelNames the class names the labels index
 */
public record LoadedFeatures(INDArray features, int[] labels, List<String> labelNames) {
    /**
     * Returns the number of rows.
     *
     * @return rows held
     */
    public int rows() {
        return labels.length;
    }

    /**
     * Returns the labels as a one-hot float matrix {@code [rows, labelNames.size()]}.
     *
     * @return a new array
     */
    public INDArray oneHotLabels() {
        return OneHot.encode(labels, labelNames.size());
    }

    /**
     * Wraps features and one-hot labels in an ND4J data set.
     *
     * @return a data set sharing the feature array
     */
    public DataSet toDataSet() {
        DataSet ds = new DataSet(features, oneHotLabels());
        ds.setLabelNames(labelNames);
        return ds;
    }

    @Override
    public String toString() {
        return "LoadedFeatures(" + rows() + " rows x " + features.columns() + ", " + labelNames.size() + " labels)";
    }

}
