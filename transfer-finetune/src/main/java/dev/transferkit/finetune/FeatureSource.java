package dev.transferkit.finetune;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Produces the inputs of the network being trained: the images themselves when nothing before the trainable part is
 * frozen, else the frozen prefix's activations of them (one array per boundary value).
 */
abstract class FeatureSource {
    /** @return the training inputs of the given images, augmented when configured */
    abstract INDArray[] train(int[] idx, Random random);

    /** @return the validation inputs of the given images, never augmented */
    abstract INDArray[] validation(int[] idx);

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
     * The activations of the frozen prefix. Without augmentation they are computed once per image; with augmentation
     * the training activations are computed from freshly augmented images every time.
     *
     * @param prefix the frozen prefix's forward pass (inference mode): a batch of images to its boundary values
     */
    static FeatureSource prefixed(Function<INDArray, INDArray[]> prefix, ImageSet train, ImageSet validation,
                                  Augmentation augmentation, int batchSize) {
        INDArray[][] trainCache = augmentation.isIdentity() ? activations(prefix, train, batchSize) : null;
        INDArray[][] validationCache = validation == null ? null : activations(prefix, validation, batchSize);
        return new FeatureSource() {
            @Override
            INDArray[] train(int[] idx, Random random) {
                if (trainCache == null) {
                    return prefix.apply(train.batch(idx, augmentation, random));
                }
                return gather(trainCache, idx);
            }

            @Override
            INDArray[] validation(int[] idx) {
                return gather(validationCache, idx);
            }
        };
    }

    /** @return per image, its boundary values (each with a batch dimension of 1) */
    private static INDArray[][] activations(Function<INDArray, INDArray[]> prefix, ImageSet set, int batchSize) {
        INDArray[][] out = new INDArray[set.size()][];
        for (int start = 0; start < set.size(); start += batchSize) {
            int[] idx = IntStream.range(start, Math.min(set.size(), start + batchSize)).toArray();
            INDArray[] a = prefix.apply(set.batch(idx, null, null));
            for (int i = 0; i < idx.length; i++) {
                out[idx[i]] = new INDArray[a.length];
                for (int k = 0; k < a.length; k++) {
                    out[idx[i]][k] = a[k].slice(i).dup().reshape(prepend(a[k].shape()));
                }
            }
        }
        return out;
    }

    private static long[] prepend(long[] shape) {
        long[] s = shape.clone();
        s[0] = 1;
        return s;
    }

    private static INDArray[] gather(INDArray[][] cache, int[] idx) {
        int inputs = cache[idx[0]].length;
        INDArray[] out = new INDArray[inputs];
        for (int k = 0; k < inputs; k++) {
            List<INDArray> rows = new ArrayList<>(idx.length);
            for (int i : idx) {
                rows.add(cache[i][k]);
            }
            out[k] = rows.size() == 1 ? rows.get(0) : Nd4j.concat(0, rows.toArray(INDArray[]::new));
        }
        return out;
    }
}
