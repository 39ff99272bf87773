package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;

/** The decoded, size-fitted images of one split with their class indices, turned into network input on demand. */
final class ImageSet {
    private final BufferedImage[] images;
    private final int[] labels;
    private final int classes;
    private final ImagePipeline pipeline;

    private ImageSet(BufferedImage[] images, int[] labels, int classes, ImagePipeline pipeline) {
        this.images = images;
        this.labels = labels;
        this.classes = classes;
        this.pipeline = pipeline;
    }

    /** Decodes every image of a split once. */
    static ImageSet decode(List<LabeledImage> list, LabelEncoder encoder, ImagePipeline pipeline, String where) {
        if (list.isEmpty()) {
            throw new TransferKitException("The split " + where + " holds no images; fine-tuning needs some.");
        }
        BufferedImage[] images = new BufferedImage[list.size()];
        int[] labels = new int[list.size()];
        for (int i = 0; i < images.length; i++) {
            LabeledImage li = list.get(i);
            if (!encoder.contains(li.label())) {
                throw new TransferKitException("The image " + li.path() + " has the class '" + li.label()
                        + "', which the training split does not have (" + encoder.toList() + ").");
            }
            images[i] = pipeline.fit(pipeline.decoder().decode(li.path()));
            labels[i] = encoder.index(li.label());
        }
        return new ImageSet(images, labels, encoder.size(), pipeline);
    }

    int size() {
        return images.length;
    }

    int[] labels() {
        return labels.clone();
    }

    /** @return one-hot labels of the given images */
    INDArray labels(int[] idx) {
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, idx.length, classes);
        for (int i = 0; i < idx.length; i++) {
            y.putScalar(i, labels[idx[i]], 1f);
        }
        return y;
    }

    /**
     * @param idx          image indices
     * @param augmentation applied to each image, or {@code null} for none
     * @param random       the augmentation's randomness
     * @return the preprocessed batch
     */
    INDArray batch(int[] idx, Augmentation augmentation, Random random) {
        float[] buf = new float[idx.length * pipeline.valuesPerImage()];
        for (int i = 0; i < idx.length; i++) {
            BufferedImage img = images[idx[i]];
            pipeline.write(augmentation == null ? img : augmentation.apply(img, random), buf, i);
        }
        return pipeline.toArray(buf);
    }
}
