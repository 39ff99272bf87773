package dev.transferkit.store;

/**
 * How the activations of a layer were reduced to one feature vector per image before they were stored.
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
