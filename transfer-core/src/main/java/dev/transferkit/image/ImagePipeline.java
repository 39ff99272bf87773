package dev.transferkit.image;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/** TEMPORARY signature shim; replaced by the image pipeline work. */
public final class ImagePipeline {
    public ImagePipeline(InputSpec spec, Preprocessing preprocessing, ImageOptions options) {
    }

    public INDArray load(Path image) {
        throw new UnsupportedOperationException();
    }

    public INDArray toBatch(List<BufferedImage> images) {
        throw new UnsupportedOperationException();
    }
}
