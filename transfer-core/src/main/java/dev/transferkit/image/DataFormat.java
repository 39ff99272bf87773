package dev.transferkit.image;

/** The memory layout a network expects for a batch of images. */
public enum DataFormat {
    /** Batch, channels, height, width: DL4J's and PyTorch's native layout. */
    NCHW,
    /** Batch, height, width, channels: TensorFlow's and Keras' layout. */
    NHWC
}
