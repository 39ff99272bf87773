package dev.transferkit.examples.data;

import dev.transferkit.core.Checks;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.core.TransferKitHome;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Fashion-MNIST: 70,000 grey 28x28 images of clothing in 10 classes (60,000 train, 10,000 test), by Zalando
 * Research, MIT licence (https://github.com/zalandoresearch/fashion-mnist).
 *
 * <p>The four IDX files come from Debian's {@code dataset-fashion-mnist} package, obtained without root with
 * {@link DebianPackage} ({@code apt-get download} and {@code dpkg-deb -x} into the TransferKit cache) and read from
 * its {@code usr/share/datasets/fashion-mnist/}; or from a directory given with
 * {@link Builder#optSourceDir(Path)}, such as {@code /usr/share/datasets/fashion-mnist} after
 * {@code apt-get install dataset-fashion-mnist}, or the upstream downloads. The files are
 * {@code train-images-idx3-ubyte.gz}, {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz} and
 * {@code t10k-labels-idx1-ubyte.gz} (uncompressed copies without {@code .gz} work too).
 *
 * <p>Use {@link #iterator(Split)} to stream (image, label) pairs without writing files, or {@link #prepare()} to
 * write PNGs in the image-folder layout {@code <root>/{train,test}/<class name>/<index>.png}, where the index is
 * the item's position in its IDX file, zero-padded to five digits.
 */
public final class FashionMnist {
    /** The class names in label order; they are also the class directory names. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot");
    /** The height and width of every image. */
    public static final int SIZE = 28;
    /** The Debian package holding the files. */
    public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
    /** Where the files are inside the Debian package. */
    public static final String DEBIAN_PATH = "usr/share/datasets/fashion-mnist";

    /** The two splits and their IDX file prefixes. */
    public enum Split {
        /** The 60,000 training images. */
        TRAIN("train", "train"),
        /** The 10,000 test images. */
        TEST("test", "t10k");

        private final String dirName;
        private final String filePrefix;

        Split(String dirName, String filePrefix) {
            this.dirName = dirName;
            this.filePrefix = filePrefix;
        }

        /** @return the split's directory name in the image-folder layout */
        public String dirName() {
            return dirName;
        }

        /** @return the IDX image file name, e.g. {@code train-images-idx3-ubyte.gz} */
        public String imageFile() {
            return filePrefix + "-images-idx3-ubyte.gz";
        }

        /** @return the IDX label file name, e.g. {@code train-labels-idx1-ubyte.gz} */
        public String labelFile() {
            return filePrefix + "-labels-idx1-ubyte.gz";
        }
    }

    private final Path sourceDir;
    private final DebianPackage debianPackage;
    private final int limit;
    private final Path cacheDir;

    private FashionMnist(Builder b) {
        this.sourceDir = b.sourceDir;
        this.debianPackage = b.debianPackage != null ? b.debianPackage : DebianPackage.of(DEBIAN_PACKAGE);
        this.limit = b.limit;
        this.cacheDir = b.cacheDir != null ? b.cacheDir.toAbsolutePath() : TransferKitHome.resolve("datasets");
    }

    /**
     * Starts a builder; by default the files come from the Debian package and every image is used.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the directory holding the four IDX files, obtaining the Debian package first when no source
     * directory was given.
     *
     * @return the source directory
     * @throws DatasetException when the package cannot be obtained (the message says what to install or where to
     *                          put the files) or a file is missing
     */
    public Path sourceDir() {
        Path dir;
        if (sourceDir != null) {
            dir = sourceDir;
        } else {
            try {
                dir = debianPackage.obtain().resolve(DEBIAN_PATH);
            } catch (TransferKitException e) {
                throw new DatasetException("Fashion-MNIST could not be obtained from the Debian package '"
                        + DEBIAN_PACKAGE + "': " + e.getMessage() + " Either install it ('apt-get install "
                        + DEBIAN_PACKAGE + "') and pass optSourceDir(/" + DEBIAN_PATH + "), or download the four files "
                        + Split.TRAIN.imageFile() + ", " + Split.TRAIN.labelFile() + ", " + Split.TEST.imageFile()
                        + " and " + Split.TEST.labelFile() + " from https://github.com/zalandoresearch/fashion-mnist"
                        + " into a directory and pass it with optSourceDir.", e);
            }
        }
        for (Split s : Split.values()) {
            file(dir, s.imageFile());
            file(dir, s.labelFile());
        }
        return dir;
    }

    /** @return the file, or its uncompressed twin without {@code .gz} */
    private static Path file(Path dir, String gzName) {
        Path gz = dir.resolve(gzName);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(gzName.substring(0, gzName.length() - 3));
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new DatasetException("The Fashion-MNIST file " + gz + " (or " + plain.getFileName()
                + ") is missing; the directory " + dir + " must hold the four IDX files.");
    }

    /**
     * Streams one split's images and labels without writing files; at most {@link Builder#optLimit(int)} items.
     *
     * @param split the split
     * @return an iterator over grey 28x28 images and labels in file order; close it when stopping early
     * @throws IdxFormatException when a file is not valid IDX or the image and label counts differ
     */
    public IdxImageIterator iterator(Split split) {
        Objects.requireNonNull(split, "split");
        Path dir = sourceDir();
        IdxImageIterator it = new IdxImageIterator(file(dir, split.imageFile()), file(dir, split.labelFile()),
                CLASS_NAMES, limit);
        if (it.height() != SIZE || it.width() != SIZE) {
            it.close();
            throw new IdxFormatException("The Fashion-MNIST image file " + file(dir, split.imageFile()) + " holds "
                    + it.height() + "x" + it.width() + " images; Fashion-MNIST images are " + SIZE + "x" + SIZE + ".");
        }
        return it;
    }

    /**
     * Returns where the PNG dataset lives for these settings (it may not exist yet).
     *
     * @return the dataset root
     */
    public Path root() {
        return cacheDir.resolve("fashion-mnist-" + (limit == 0 ? "all" : "limit" + limit));
    }

    /**
     * Returns the root of the PNG image-folder dataset, writing it first when it is not cached. The PNGs are
     * written into a hidden temporary directory beside the root, which is renamed into place after a manifest was
     * written last; a cached dataset is reused after its file counts were checked against the manifest. All
     * 70,000 images take a while; prefer {@link #iterator(Split)} when files are not needed.
     *
     * @return the dataset root holding {@code train/} and {@code test/}, each with one directory per class
     * @throws DatasetException when the source cannot be obtained or read, or a cached dataset was changed
     */
    public Path prepare() {
        return summary().root();
    }

    /**
     * Like {@link #prepare()}, returning the number of images per split and class.
     *
     * @return the counts of the prepared dataset
     */
    public DatasetSummary summary() {
        Map<String, String> settings = new TreeMap<>();
        settings.put("dataset", "fashion-mnist");
        settings.put("limit", Integer.toString(limit));
        return DatasetCache.obtain(root(), settings, this::writePngs);
    }

    private void writePngs(Path dir) throws IOException {
        for (Split split : Split.values()) {
            Path splitDir = dir.resolve(split.dirName());
            for (String cls : CLASS_NAMES) {
                Files.createDirectories(splitDir.resolve(cls));
            }
            try (IdxImageIterator it = iterator(split)) {
                for (int i = 0; it.hasNext(); i++) {
                    LabeledImage item = it.next();
                    Path png = splitDir.resolve(item.className()).resolve(String.format(Locale.ROOT, "%05d.png", i));
                    try (OutputStream out = Files.newOutputStream(png)) {
                        if (!ImageIO.write(item.image(), "png", out)) {
                            throw new DatasetException("No PNG writer is available to write " + png + ".");
                        }
                    }
                }
            }
        }
        Files.writeString(dir.resolve("NOTICE"), "Fashion-MNIST by Zalando Research"
                + " (https://github.com/zalandoresearch/fashion-mnist), MIT License, Copyright (c) 2017 Zalando SE."
                + System.lineSeparator() + "Written as PNG by TransferKit (dev.transferkit.examples.data.FashionMnist)"
                + " from the IDX files of the Debian package " + DEBIAN_PACKAGE + " or the same upstream files; "
                + (limit == 0 ? "all images" : "the first " + limit + " images of each split") + "."
                + System.lineSeparator(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "FashionMnist(source=" + (sourceDir != null ? sourceDir : debianPackage) + ", limit="
                + (limit == 0 ? "all" : limit) + ", root=" + root() + ")";
    }

    /** Builder for {@link FashionMnist}. */
    public static final class Builder {
        private Path sourceDir;
        private DebianPackage debianPackage;
        private int limit;
        private Path cacheDir;

        private Builder() {
        }

        /**
         * @param sourceDir a directory holding the four IDX files; by default the Debian package is obtained
         * @return this builder
         */
        public Builder optSourceDir(Path sourceDir) {
            this.sourceDir = Objects.requireNonNull(sourceDir, "sourceDir");
            return this;
        }

        /**
         * Uses only the first {@code limit} images of each split, for quick runs and tests.
         *
         * @param limit a positive number of images per split; by default all
         * @return this builder
         */
        public Builder optLimit(int limit) {
            this.limit = Checks.atLeast("The Fashion-MNIST limit (images per split)", limit, 1);
            return this;
        }

        /**
         * @param cacheDir the directory that holds built datasets; default {@code TransferKitHome.resolve("datasets")}
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /** Obtains the files from another Debian package handle; for tests. */
        Builder debianPackage(DebianPackage debianPackage) {
            this.debianPackage = Objects.requireNonNull(debianPackage, "debianPackage");
            return this;
        }

        /** @return the configured dataset (nothing is obtained yet) */
        public FashionMnist build() {
            return new FashionMnist(this);
        }
    }
}
