package dev.transferkit.image;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One batch from a {@link BatchLoader}: the preprocessed images that decoded, their class indices and files in
 * input order, and the images of this batch that failed and were left out.
 */
public final class ImageBatch {
    private final INDArray features;
    private final int[] labels;
    private final List<Path> paths;
    private final List<ImageFailure> failures;

    /**
     * Creates a batch.
     *
     * @param features float32 array whose first dimension is the number of images (may be 0)
     * @param labels   class index of each image
     * @param paths    file of each image
     * @param failures images of this batch that were left out
     * @throws IllegalArgumentException when the sizes disagree
     */
    public ImageBatch(INDArray features, int[] labels, List<Path> paths, List<ImageFailure> failures) {
        this.features = Objects.requireNonNull(features, "features");
        this.labels = labels.clone();
        this.paths = List.copyOf(paths);
        this.failures = List.copyOf(failures);
        if (features.size(0) != labels.length || labels.length != paths.size()) {
            throw new IllegalArgumentException("A batch needs as many feature rows as labels and paths, but has "
                    + features.size(0) + " rows, " + labels.length + " labels and " + paths.size() + " paths.");
        }
    }

    /** @return the network input, shape {@code spec.batchShape(size())}; an empty array when {@link #isEmpty()} */
    public INDArray features() {
        return features;
    }

    /** @return a copy of the class index of each image, in input order */
    public int[] labels() {
        return labels.clone();
    }

    /** @return the file of each image, in input order */
    public List<Path> paths() {
        return paths;
    }

    /** @return the images of this batch that could not be decoded, in input order */
    public List<ImageFailure> failures() {
        return failures;
    }

    /** @return the number of images in the batch (failures not counted) */
    public int size() {
        return labels.length;
    }

    /** @return true when every image of this batch failed, so there is nothing to feed to a network */
    public boolean isEmpty() {
        return labels.length == 0;
    }

    @Override
    public String toString() {
        return "ImageBatch(" + labels.length + " images " + Arrays.toString(features.shape()) + ", "
                + failures.size() + " failures)";
    }
}
