package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The images of one split with their class indices, decoded into network input batch by batch: nothing proportional to
 * the number of images but their paths and labels stays in memory. The images of a batch are decoded (and augmented)
 * in parallel; each image's augmentation draws from its own generator, seeded in order from the batch's generator, so
 * a batch is the same whatever the thread schedule.
 */
final class ImageSet {
    private final Path[] paths;
    private final int[] labels;
    private final int classes;
    private final ImagePipeline pipeline;

    private ImageSet(Path[] paths, int[] labels, int classes, ImagePipeline pipeline) {
        this.paths = paths;
        this.labels = labels;
        this.classes = classes;
        this.pipeline = pipeline;
    }

    /**
     * The images of a split; checks the labels now and decodes each image when a batch needs it.
     *
     * @throws TransferKitException when the split is empty or an image has a class the encoder lacks
     */
    static ImageSet of(List<LabeledImage> list, LabelEncoder encoder, ImagePipeline pipeline, String where) {
        if (list.isEmpty()) {
            throw new TransferKitException("The split " + where + " holds no images; fine-tuning needs some.");
        }
        Path[] paths = new Path[list.size()];
        int[] labels = new int[list.size()];
        for (int i = 0; i < paths.length; i++) {
            LabeledImage li = list.get(i);
            if (!encoder.contains(li.label())) {
                throw new TransferKitException("The image " + li.path() + " has the class '" + li.label()
                        + "', which the training split does not have (" + encoder.toList() + ").");
            }
            paths[i] = li.path();
            labels[i] = encoder.index(li.label());
        }
        return new ImageSet(paths, labels, encoder.size(), pipeline);
    }

    int size() {
        return paths.length;
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
     * Decodes, fits to the network's input size, augments and preprocesses images.
     *
     * @param idx          image indices
     * @param augmentation applied to each image, or {@code null} for none
     * @param random       the augmentation's randomness (one draw per image, in order)
     * @return the preprocessed batch
     * @throws dev.transferkit.image.ImageDecodeException naming the file when an image cannot be decoded
     */
    INDArray batch(int[] idx, Augmentation augmentation, Random random) {
        long[] seeds = new long[idx.length];
        for (int i = 0; i < idx.length && augmentation != null; i++) {
            seeds[i] = random.nextLong();
        }
        float[] buf = new float[idx.length * pipeline.valuesPerImage()];
        IntStream.range(0, idx.length).parallel().forEach(i -> {
            BufferedImage img = pipeline.fit(pipeline.decode(paths[idx[i]]));
            pipeline.write(augmentation == null ? img : augmentation.apply(img, new Random(seeds[i])), buf, i);
        });
        return pipeline.toArray(buf);
    }
}
