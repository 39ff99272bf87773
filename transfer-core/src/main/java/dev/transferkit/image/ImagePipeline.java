package dev.transferkit.image;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Turns image files or {@link BufferedImage}s into network input: decode ({@link ImageDecoder}), resize to the
 * {@link InputSpec} ({@link ImageResizer} with {@link ImageOptions#resize()}), then write every pixel through
 * the {@link Preprocessing} into a float32 batch in the spec's layout (NCHW or NHWC). Immutable and thread-safe:
 * several threads may fill different slots of one batch buffer at the same time.
 */
public final class ImagePipeline {
    private final InputSpec spec;
    private final Preprocessing preprocessing;
    private final ImageOptions options;
    private final ImageDecoder decoder;

    /**
     * Creates a pipeline.
     *
     * @param spec          the network input (height, width, 3 channels, layout)
     * @param preprocessing the pixel normalisation the network was trained with
     * @param options       decoding and resizing options
     * @throws IllegalArgumentException when the spec does not have 3 channels
     */
    public ImagePipeline(InputSpec spec, Preprocessing preprocessing, ImageOptions options) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
        this.options = Objects.requireNonNull(options, "options");
        if (spec.channels() != 3) {
            throw new IllegalArgumentException("The image pipeline produces 3-channel colour input, but the input spec "
                    + spec + " has " + spec.channels() + " channels.");
        }
        this.decoder = new ImageDecoder(options);
    }

    /** @return the network input this pipeline produces */
    public InputSpec spec() {
        return spec;
    }

    /** @return the pixel normalisation */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** @return the decoding and resizing options */
    public ImageOptions options() {
        return options;
    }

    /** @return the decoder this pipeline uses */
    public ImageDecoder decoder() {
        return decoder;
    }

    /** @return the number of floats one image occupies in a batch: height x width x channels */
    public int valuesPerImage() {
        return spec.height() * spec.width() * spec.channels();
    }

    /**
     * Decodes one image file into a batch of one.
     *
     * @param image the image file
     * @return a float32 array of shape {@code spec.batchShape(1)}
     * @throws ImageDecodeException when the file cannot be decoded
     */
    public INDArray load(Path image) {
        float[] values = new float[valuesPerImage()];
        load(image, values, 0);
        return toArray(values);
    }

    /**
     * Preprocesses decoded images into one batch, resizing those that do not have the spec's size.
     *
     * @param images one or more images of any type and size
     * @return a float32 array of shape {@code spec.batchShape(images.size())}
     * @throws IllegalArgumentException when the list is empty
     */
    public INDArray toBatch(List<BufferedImage> images) {
        Objects.requireNonNull(images, "images");
        if (images.isEmpty()) {
            throw new IllegalArgumentException("A batch needs at least one image, but the list is empty.");
        }
        float[] values = new float[images.size() * valuesPerImage()];
        for (int i = 0; i < images.size(); i++) {
            write(Objects.requireNonNull(images.get(i), "image " + i), values, i);
        }
        return toArray(values);
    }

    /**
     * Decodes an image file and writes it into slot {@code index} of a preallocated batch buffer.
     *
     * @param image the image file
     * @param batch the batch buffer, {@code n * valuesPerImage()} floats in the spec's layout
     * @param index the slot, 0-based
     * @throws ImageDecodeException when the file cannot be decoded
     */
    public void load(Path image, float[] batch, int index) {
        checkSlot(batch, index);
        write(decode(image), batch, index);
    }

    /**
     * Decodes an image file for this pipeline: upright and in RGB, possibly already reduced in size (large JPEGs), but
     * never smaller than the spec's larger side on its shorter side, so {@link #fit} still only shrinks it.
     *
     * @param image the image file
     * @return the decoded image, not yet fitted to the spec
     * @throws ImageDecodeException when the file cannot be decoded
     */
    public BufferedImage decode(Path image) {
        return decoder.decode(image, Math.max(spec.width(), spec.height()));
    }

    /**
     * Converts an image to RGB and brings it to the spec's size with {@link ImageOptions#resize()}.
     *
     * @param image any image
     * @return a TYPE_INT_RGB image of the spec's width and height (the input itself if it already is one)
     */
    public BufferedImage fit(BufferedImage image) {
        return ImageResizer.resize(image, spec.width(), spec.height(), options.resize(), options.background());
    }

    /**
     * Fits an image to the spec and writes its preprocessed pixels into slot {@code index} of a batch buffer.
     * For NCHW channel {@code c} of pixel {@code p = y * width + x} lands at
     * {@code index * valuesPerImage() + c * height * width + p}; for NHWC at
     * {@code index * valuesPerImage() + p * 3 + c}.
     *
     * @param image any image
     * @param batch the batch buffer
     * @param index the slot, 0-based
     * @throws IllegalArgumentException when the slot lies outside the buffer
     */
    public void write(BufferedImage image, float[] batch, int index) {
        checkSlot(batch, index);
        BufferedImage fitted = fit(image);
        int h = spec.height();
        int w = spec.width();
        int[] pixels = (int[]) fitted.getRaster().getDataElements(0, 0, w, h, null);
        int base = index * valuesPerImage();
        int plane = h * w;
        if (spec.format() == DataFormat.NCHW) {
            for (int p = 0; p < plane; p++) {
                preprocessing.write(pixels[p], batch, base + p, plane);
            }
        } else {
            for (int p = 0; p < plane; p++) {
                preprocessing.write(pixels[p], batch, base + p * 3, 1);
            }
        }
    }

    /**
     * Wraps a filled batch buffer as a float32 INDArray (one copy into ND4J's memory).
     *
     * @param batch {@code n * valuesPerImage()} floats, n at least 1
     * @return an array of shape {@code spec.batchShape(n)}
     * @throws IllegalArgumentException when the length is not a positive multiple of {@link #valuesPerImage()}
     */
    public INDArray toArray(float[] batch) {
        int per = valuesPerImage();
        if (batch.length == 0 || batch.length % per != 0) {
            throw new IllegalArgumentException("A batch buffer for " + spec + " needs a positive multiple of " + per
                    + " floats, but has " + batch.length + ".");
        }
        return Nd4j.create(batch, spec.batchShape(batch.length / per), 'c');
    }

    private void checkSlot(float[] batch, int index) {
        Objects.requireNonNull(batch, "batch");
        if (index < 0 || (long) (index + 1) * valuesPerImage() > batch.length) {
            throw new IllegalArgumentException("Slot " + index + " does not fit into a batch buffer of " + batch.length
                    + " floats (" + valuesPerImage() + " per image).");
        }
    }

    @Override
    public String toString() {
        return "ImagePipeline(" + spec + ", " + preprocessing.name() + ", " + options + ")";
    }
}
