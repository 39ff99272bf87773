package dev.transferkit.finetune;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/** Produces the input of the network being trained: images, or the frozen base's activations of them. */
abstract class FeatureSource {
    /** @return the training input of the given images, augmented when configured */
    abstract INDArray train(int[] idx, Random random);

    /** @return the validation input of the given images, never augmented */
    abstract INDArray validation(int[] idx);

    /** The images themselves (the network contains the base). */
    static FeatureSource images(ImageSet train, ImageSet validation, Augmentation augmentation, int batchSize) {
        Augmentation aug = augmentation.isIdentity() ? null : augmentation;
        return new FeatureSource() {
            @Override
            INDArray train(int[] idx, Random random) {
                return train.batch(idx, aug, random);
            }

            @Override
            INDArray validation(int[] idx) {
                return validation.batch(idx, null, null);
            }
        };
    }

    /**
     * The activations of the frozen trunk. Without augmentation they are computed once per image; with augmentation
     * the training activations are computed from freshly augmented images every time.
     *
     * @param trunk the frozen trunk's forward pass (inference mode): a batch of images to its activations
     */
    static FeatureSource cached(UnaryOperator<INDArray> trunk, ImageSet train, ImageSet validation, Augmentation augmentation,
                                int batchSize) {
        INDArray[] trainCache = augmentation.isIdentity() ? activations(trunk, train, batchSize) : null;
        INDArray[] validationCache = validation == null ? null : activations(trunk, validation, batchSize);
        return new FeatureSource() {
            @Override
            INDArray train(int[] idx, Random random) {
                if (trainCache == null) {
                    return trunk.apply(train.batch(idx, augmentation, random));
                }
                return gather(trainCache, idx);
            }

            @Override
            INDArray validation(int[] idx) {
                return gather(validationCache, idx);
            }
        };
    }

    private static INDArray[] activations(UnaryOperator<INDArray> trunk, ImageSet set, int batchSize) {
        INDArray[] out = new INDArray[set.size()];
        for (int start = 0; start < set.size(); start += batchSize) {
            int[] idx = IntStream.range(start, Math.min(set.size(), start + batchSize)).toArray();
            INDArray a = trunk.apply(set.batch(idx, null, null));
            for (int i = 0; i < idx.length; i++) {
                out[idx[i]] = a.slice(i).dup().reshape(prepend(a.shape()));
            }
        }
        return out;
    }

    private static long[] prepend(long[] shape) {
        long[] s = shape.clone();
        s[0] = 1;
        return s;
    }

    private static INDArray gather(INDArray[] cache, int[] idx) {
        List<INDArray> rows = new ArrayList<>(idx.length);
        for (int i : idx) {
            rows.add(cache[i]);
        }
        return rows.size() == 1 ? rows.get(0) : Nd4j.concat(0, rows.toArray(INDArray[]::new));
    }

}
