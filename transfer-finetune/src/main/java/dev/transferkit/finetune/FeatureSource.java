package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.io.FileTrees;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Function;

/**
 * Produces the inputs of the network being trained: the images themselves when nothing before the trainable part is
 * frozen, else the frozen prefix's activations of them (one array per boundary value). Close it when done.
 */
abstract class FeatureSource implements AutoCloseable {
    /** @return the training inputs of the given images, augmented when configured */
    abstract INDArray[] train(int[] idx, Random random);

    /** @return the validation inputs of the given images, never augmented */
    abstract INDArray[] validation(int[] idx);

    /** Releases what the source holds: nothing unless it caches activations. */
    @Override
    public void close() {
    }

    /** The images themselves (the network being trained starts at the input). */
    static FeatureSource images(ImageSet train, ImageSet validation, Augmentation augmentation) {
        Augmentation aug = augmentation.isIdentity() ? null : augmentation;
        return new FeatureSource() {
            @Override
            INDArray[] train(int[] idx, Random random) {
                return new INDArray[]{train.batch(idx, aug, random)};
            }

            @Override
            INDArray[] validation(int[] idx) {
                return new INDArray[]{validation.batch(idx, null, null)};
            }
        };
    }

    /**
     * The activations of the frozen prefix. Without augmentation the training activations are computed once per image
     * into a {@link BoundaryCache} on disk, and read back a batch at a time; with augmentation they are computed from
     * freshly augmented images every time. The validation activations are always cached.
     *
     * @param prefix       the frozen prefix's forward pass (inference mode): a batch of images to its boundary values
     * @param train        the training images
     * @param validation   the validation images, or null
     * @param augmentation applied to training images only; the identity lets them be cached
     * @param key          what the caches are computed for (its batch size is that of the caching forward passes)
     * @param dir          the directory of the cache files {@code phaseP-train} and {@code phaseP-validation}
     * @param temporary    whether {@code dir} is deleted, with everything in it, when the source is closed or cannot
     *                     be made; otherwise the cache files stay for a resumed run to reuse
     * @return the source; close it to release the cache files
     */
    static FeatureSource prefixed(Function<INDArray, INDArray[]> prefix, ImageSet train, ImageSet validation,
                                  Augmentation augmentation, BoundaryCache.Key key, Path dir, boolean temporary) {
        Prefixed source = new Prefixed(prefix, train, augmentation, dir, temporary);
        try {
            if (augmentation.isIdentity()) {
                source.trainCache = BoundaryCache.open(dir, "phase" + key.phase() + "-train", key, train.size(),
                        idx -> prefix.apply(train.batch(idx, null, null)));
            }
            if (validation != null) {
                source.validationCache = BoundaryCache.open(dir, "phase" + key.phase() + "-validation", key,
                        validation.size(), idx -> prefix.apply(validation.batch(idx, null, null)));
            }
            return source;
        } catch (RuntimeException | Error e) {
            try {
                source.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The frozen prefix's activations, from its caches where there are some. */
    private static final class Prefixed extends FeatureSource {
        private final Function<INDArray, INDArray[]> prefix;
        private final ImageSet train;
        private final Augmentation augmentation;
        private final Path dir;
        private final boolean temporary;
        private BoundaryCache trainCache;
        private BoundaryCache validationCache;

        Prefixed(Function<INDArray, INDArray[]> prefix, ImageSet train, Augmentation augmentation, Path dir, boolean temporary) {
            this.prefix = prefix;
            this.train = train;
            this.augmentation = augmentation;
            this.dir = dir;
            this.temporary = temporary;
        }

        @Override
        INDArray[] train(int[] idx, Random random) {
            if (trainCache == null) {
                return prefix.apply(train.batch(idx, augmentation, random));
            }
            return trainCache.rows(idx);
        }

        @Override
        INDArray[] validation(int[] idx) {
            return validationCache.rows(idx);
        }

        @Override
        public void close() {
            try {
                if (trainCache != null) {
                    trainCache.close();
                }
            } finally {
                try {
                    if (validationCache != null) {
                        validationCache.close();
                    }
                } finally {
                    if (temporary) {
                        deleteDirectory();
                    }
                }
            }
        }

        private void deleteDirectory() {
            try {
                FileTrees.deleteRecursively(dir);
            } catch (IOException e) {
                throw new TransferKitIOException("Could not delete the temporary boundary cache directory " + dir + ".", e);
            }
        }
    }
}
