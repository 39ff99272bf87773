package dev.transferkit.extract;

/**
 * How the activations of a layer are reduced to one feature vector per image: for a feature store, and in a saved
 * predictor before its head.
 */
public enum Pooling {
    /** No pooling: the activations were flattened (e.g. a dense layer, or a small feature map kept whole). */
    FLATTEN,
    /** Global average over the spatial positions of each channel. */
    AVG,
    /** Global maximum over the spatial positions of each channel. */
    MAX,
    /** Global average and global maximum, concatenated (twice the channel count). */
    AVG_MAX
}
