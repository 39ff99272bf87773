package dev.transferkit.extract;


import java.io.Serializable;
import java.util.Objects;

/**
 * One kind of feature vector: a layer's activations, pooled one way.
 *
 * @param layer   a layer (graph vertex, or an ONNX model's tensor) of the base model
 * @param pooling how its activations become a vector
 */
public record FeatureTarget(String layer, Pooling pooling) implements Serializable {
    /** Checks that both parts are given. */
    public FeatureTarget {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(pooling, "pooling");
    }

    /**
     * Returns a file name for a store of these features: the layer with characters other than letters, digits, dots,
     * dashes and underscores replaced, then the pooling, e.g. {@code layer3_layer3.5_relu_2_Relu_output_0.AVG.h5}.
     *
     * @return the file name
     */
    public String storeFileName() {
        String stem = layer.replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return stem + "." + pooling + ".h5";
    }

    @Override
    public String toString() {
        return layer + "/" + pooling;
    }
}
