package dev.transferkit.examples.data;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Streams grey images with their labels from a pair of IDX files (images {@code [n, height, width]}, labels
 * {@code [n]}), one image at a time, so a large set need not be held in memory or written to disk.
 *
 * <p>The pair is checked when it is opened: the ranks, and that both files hold the same number of items. Each
 * label is checked against the class names as it is read. The files are closed when the last item was returned,
 * and by {@link #close()}; use it in try-with-resources when you may stop early.
 */
public final class IdxImageIterator implements Iterator<LabeledImage>, AutoCloseable {
    private final IdxReader images;
    private final IdxReader labels;
    private final List<String> classNames;
    private final int limit;
    private final int height;
    private final int width;
    private int returned;
    private boolean closed;

    /**
     * Opens an image file and its label file.
     *
     * @param imageFile  an IDX file of unsigned bytes with dimensions {@code [n, height, width]}
     * @param labelFile  an IDX file of unsigned bytes with dimension {@code [n]}
     * @param classNames the class names, indexed by label
     * @param limit      the most items to return (the first ones in file order); 0 for all
     * @throws IdxFormatException when a file is not valid IDX, has the wrong rank, or the counts differ
     */
    public IdxImageIterator(Path imageFile, Path labelFile, List<String> classNames, int limit) {
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("At least one class name is needed to label " + imageFile + ".");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("The limit must be 0 (all) or positive, but was " + limit + ".");
        }
        this.classNames = List.copyOf(classNames);
        this.images = IdxReader.open(imageFile);
        try {
            this.labels = IdxReader.open(labelFile);
        } catch (RuntimeException e) {
            images.close();
            throw e;
        }
        try {
            int[] imageDims = images.dimensions();
            if (imageDims.length != 3) {
                throw new IdxFormatException("The image file " + imageFile + " has dimensions "
                        + Arrays.toString(imageDims) + "; images need three: [count, height, width].");
            }
            if (labels.dimensions().length != 1) {
                throw new IdxFormatException("The label file " + labelFile + " has dimensions "
                        + Arrays.toString(labels.dimensions()) + "; labels need one: [count].");
            }
            if (labels.count() != images.count()) {
                throw new IdxFormatException("The label file " + labelFile + " holds " + labels.count()
                        + " labels but the image file " + imageFile + " holds " + images.count()
                        + " images; they do not belong together.");
            }
            this.height = imageDims[1];
            this.width = imageDims[2];
            this.limit = limit == 0 ? images.count() : Math.min(limit, images.count());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** @return the image height in pixels, from the image file's header */
    public int height() {
        return height;
    }

    /** @return the image width in pixels, from the image file's header */
    public int width() {
        return width;
    }

    /** @return the number of items this iterator returns in all */
    public int size() {
        return limit;
    }

    @Override
    public boolean hasNext() {
        return !closed && returned < limit;
    }

    /**
     * @return the next image (grey, {@link BufferedImage#TYPE_BYTE_GRAY}, pixel values as stored) and its label
     * @throws NoSuchElementException when no item remains
     * @throws IdxFormatException     when a file ends early or a label is not a class index
     */
    @Override
    public LabeledImage next() {
        if (!hasNext()) {
            throw new NoSuchElementException("No image remains in " + images.file() + " (returned " + returned + ").");
        }
        try {
            int label = labels.next()[0] & 0xff;
            if (label >= classNames.size()) {
                throw new IdxFormatException("The label file " + labels.file() + " gives item " + returned
                        + " the label " + label + ", but there are only " + classNames.size() + " classes (0 to "
                        + (classNames.size() - 1) + ").");
            }
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            image.getRaster().setDataElements(0, 0, width, height, images.next());
            returned++;
            if (returned == limit) {
                close();
            }
            return new LabeledImage(image, label, classNames.get(label));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Closes both files; later {@link #hasNext()} calls return false. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                images.close();
            } finally {
                if (labels != null) {
                    labels.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "IdxImageIterator(" + images.file() + ", " + labels.file() + ", " + returned + "/" + limit + ")";
    }
}
