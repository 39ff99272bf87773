package dev.transferkit.examples;

import dev.transferkit.cli.ConsoleProgressBar;
import dev.transferkit.core.Checks;
import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.examples.data.FashionMnist;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.head.MlpHead;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.ModelSource;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;
import dev.transferkit.store.StoreDataSetIterator;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Features larger than memory: extracts high-dimensional features of Fashion-MNIST into HDF5 stores, trains an MLP
 * head batch by batch from disk with {@link StoreDataSetIterator}, and prints the peak heap and resident set size
 * beside the size of the stores, which do not fit in the heap.
 *
 * <p>The network is the pretrained MobileNetV2 (nsfwjs@4.4.0; its layers up to block 10 are the ImageNet backbone)
 * run at a 32x32 input instead of 224x224: the 28x28 grey images are resized to 32x32 and fed as RGB, and the
 * activations of {@value #LAYER} (8x8x144) are flattened into 9,216 floats per image (36.9 KB). All 70,000 images
 * make 2.6 GB of raw floats, ten times a 256 MB heap. At 224x224 the same layer would be 56x56x144 per image and
 * extraction about 50 times slower, too slow for 70,000 images on a laptop CPU.
 *
 * <p>Rows are written in a seeded random order, so the last tenth of the training store is a random validation
 * set for early stopping. Usage: {@code LargerThanMemoryExample [images-per-split|all] [work-dir] [max-epochs]};
 * defaults {@value #DEFAULT_IMAGES} images per split (the first ones of the training and test files),
 * {@code transferkit-output/larger-than-memory}, {@value #DEFAULT_EPOCHS} epochs. Run it with a small heap to see
 * the point, e.g. {@code -Xmx256m}.
 */
public final class LargerThanMemoryExample {
    /** The default feature layer: MobileNetV2's block-3 expansion, inside the ImageNet backbone. */
    static final String LAYER = "block_3_expand_relu";
    /** The default input height and width the network runs at. */
    static final int INPUT_SIZE = 32;
    /** The default number of images per split. */
    static final int DEFAULT_IMAGES = 5000;
    /** The default maximum number of epochs. */
    static final int DEFAULT_EPOCHS = 8;

    private LargerThanMemoryExample() {
    }

    /**
     * Runs the example with the real network and the Fashion-MNIST files of Debian's {@code dataset-fashion-mnist}.
     *
     * @param args optional images per split ({@code all} for 60,000 + 10,000), work directory and maximum epochs
     */
    public static void main(String[] args) {
        Settings.Builder b = Settings.builder();
        if (args.length > 0) {
            b.optImagesPerSplit(args[0].equals("all") ? 0 : Arguments.positiveInt(args[0], "images per split"));
        }
        if (args.length > 1) {
            b.optWorkDir(Path.of(args[1]));
        }
        if (args.length > 2) {
            b.optEpochs(Arguments.positiveInt(args[2], "maximum epochs"), 2);
        }
        run(b.build(), System.out);
    }

    /**
     * Runs the example.
     *
     * @param settings what to run on
     * @param out      where the report goes
     * @return the measured sizes, scores and memory
     */
    public static Result run(Settings settings, PrintStream out) {
        Path work = settings.workDir;
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new TransferKitIOException("Could not create the work directory " + work + ": " + e.getMessage(), e);
        }
        BaseModel pretrained = settings.model.load();
        InputSpec original = pretrained.inputSpec();
        int size = settings.inputSize;
        BaseModel model = BaseModel.builder()
                .setName(pretrained.name() + "@" + size + "x" + size)
                .setGraph(pretrained.graph())
                .setInputSpec(new InputSpec(size, size, original.channels(), original.format()))
                .setPreprocessing(pretrained.preprocessing())
                .optFeatureLayers(List.of(settings.layer))
                .optProvenance(pretrained.provenance())
                .build();
        out.println("Settings: " + settings);
        out.println("Model: " + model);

        FashionMnist.Builder data = FashionMnist.builder();
        if (settings.imagesPerSplit > 0) {
            data.optLimit(settings.imagesPerSplit);
        }
        if (settings.fashionMnistDir != null) {
            data.optSourceDir(settings.fashionMnistDir);
        }
        if (settings.datasetCacheDir != null) {
            data.optCacheDir(settings.datasetCacheDir);
        }
        ImageFolder folder = ImageFolder.open(data.build().prepare());
        out.println("Dataset: " + folder);

        long t0 = System.nanoTime();
        try (FeatureStore train = extract(model, settings, folder, "train", out);
             FeatureStore test = extract(model, settings, folder, "test", out)) {
            double extractSeconds = (System.nanoTime() - t0) / 1e9;
            long storeBytes = size(train.path()) + size(test.path());
            long rawBytes = (train.rows() + test.rows()) * train.dim() * (long) Float.BYTES;
            out.printf(Locale.ROOT, "Stores: %,d + %,d rows of %,d floats = %.1f MB of raw floats, %.1f MB on disk (compressed); %.0f s%n",
                    train.rows(), test.rows(), train.dim(), rawBytes / 1e6, storeBytes / 1e6, extractSeconds);

            long t1 = System.nanoTime();
            long validationRows = Math.max(1, train.rows() / 10);
            long fitRows = train.rows() - validationRows;
            StoreDataSetIterator fitIt = StoreDataSetIterator.builder().setStore(train).setBatchSize(settings.batchSize)
                    .optSeed(settings.seed).optBlockRows(256).optBufferRows(2048).optRange(0, fitRows).build();
            StoreDataSetIterator validationIt = StoreDataSetIterator.builder().setStore(train).setBatchSize(settings.batchSize)
                    .optShuffle(false).optRange(fitRows, train.rows()).build();
            MlpHeadTrainer trainer = MlpHeadTrainer.builder().optHiddenLayers(256, 64).optDropout(0.2)
                    .optEpochs(settings.maxEpochs, settings.patience).optSeed(settings.seed)
                    .optListener(r -> out.println("  " + r)).build();
            out.printf(Locale.ROOT, "Training %s from disk on %,d rows, validating on %,d rows%n", trainer, fitRows, validationRows);
            MlpHead head = trainer.fit(fitIt, validationIt, train.labelNames(), train.dim(), null);
            double trainSeconds = (System.nanoTime() - t1) / 1e9;

            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("example", LargerThanMemoryExample.class.getName());
            provenance.put("trainData", folder.root().resolve("train").toString());
            provenance.put("trainRows", Long.toString(fitRows));
            TransferModel predictor = TransferModel.of(extractorFor(model, settings, null).pipeline(), head,
                    train.spec().imageOptions(), provenance);
            ClassificationReport report = predictor.evaluate(test);
            Path modelFile = work.resolve("fashion-mnist-mlp.zip");
            predictor.save(modelFile);
            MemoryUse memory = MemoryUse.sinceStart();
            out.println("\nTest report (Fashion-MNIST test split, head trained from the store on disk)\n" + report);
            out.printf(Locale.ROOT, "Head training %.0f s. Saved the predictor to %s%n", trainSeconds, modelFile);
            out.printf(Locale.ROOT, "Memory: %s; the stores hold %.1f MB of raw floats (%.1fx the heap limit)%n", memory,
                    rawBytes / 1e6, (double) rawBytes / memory.maxHeapBytes());
            return new Result(train.rows(), test.rows(), train.dim(), rawBytes, storeBytes, report, memory, modelFile);
        }
    }

    private static FeatureStore extract(BaseModel model, Settings settings, ImageFolder folder, String split, PrintStream out) {
        List<LabeledImage> images = new ArrayList<>(folder.images(split));
        // a seeded random order, so any contiguous range of rows is a random sample (the validation range)
        Collections.shuffle(images, new Random(settings.seed));
        FeatureExtractor extractor = extractorFor(model, settings, new ConsoleProgressBar(split + " features", out));
        return extractor.extract(images, folder.labelEncoder(), settings.workDir.resolve(split + ".h5"));
    }

    private static FeatureExtractor extractorFor(BaseModel model, Settings settings, ConsoleProgressBar bar) {
        return FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optLayer(settings.layer)
                .optPooling(Pooling.FLATTEN).optBatchSize(64).optListener(bar).build());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new TransferKitIOException("Could not read the size of " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a run measured.
     *
     * @param trainRows  rows in the training store (training and validation)
     * @param testRows   rows in the test store
     * @param dim        floats per row
     * @param rawBytes   bytes the rows take as raw floats
     * @param storeBytes bytes the two store files take on disk
     * @param report     the test report
     * @param memory     peak heap and resident set size at the end
     * @param modelFile  the saved predictor
     */
    public record Result(long trainRows, long testRows, int dim, long rawBytes, long storeBytes,
                         ClassificationReport report, MemoryUse memory, Path modelFile) {
    }

    /**
     * What to run on: the network, layer, input size, dataset location, image count and training settings. Make it
     * with {@link #builder()}, which checks the values and has a default for each.
     *
     * @param model           the pretrained network
     * @param layer           the layer whose activations are flattened into features
     * @param inputSize       the height and width the images are resized to
     * @param imagesPerSplit  images per split (the first ones of each file), 0 for all
     * @param fashionMnistDir a directory holding the four Fashion-MNIST IDX files, or null for the Debian package
     * @param datasetCacheDir where the PNG dataset is written, or null for the TransferKit cache
     * @param workDir         where the stores and the predictor go
     * @param maxEpochs       the most epochs
     * @param patience        epochs without a lower validation loss before stopping
     * @param batchSize       rows per training batch
     * @param seed            seed of the row order, batch shuffling and weights
     */
    public record Settings(ModelSource model, String layer, int inputSize, int imagesPerSplit, Path fashionMnistDir,
                           Path datasetCacheDir, Path workDir, int maxEpochs, int patience, int batchSize, long seed) {

        /** @return a builder with the defaults: MobileNetV2 from nsfwjs at 32x32, {@value #LAYER}, 5,000 images per split */
        public static Builder builder() {
            return new Builder();
        }

        @Override
        public String toString() {
            return "Settings(model=" + model + ", layer=" + layer + ", input=" + inputSize + "x" + inputSize
                    + ", imagesPerSplit=" + (imagesPerSplit == 0 ? "all" : imagesPerSplit)
                    + (fashionMnistDir != null ? ", fashionMnistDir=" + fashionMnistDir : "") + ", workDir=" + workDir
                    + ", maxEpochs=" + maxEpochs + ", patience=" + patience + ", batchSize=" + batchSize + ", seed=" + seed + ")";
        }

        /** Builder for {@link Settings}; every value has a default. */
        public static final class Builder {
            private ModelSource model = NsfwjsSource.mobileNetV2();
            private String layer = LAYER;
            private int inputSize = INPUT_SIZE;
            private int imagesPerSplit = DEFAULT_IMAGES;
            private Path fashionMnistDir;
            private Path datasetCacheDir;
            private Path workDir = Path.of("transferkit-output/larger-than-memory");
            private int maxEpochs = DEFAULT_EPOCHS;
            private int patience = 2;
            private int batchSize = 128;
            private long seed = 42;

            private Builder() {
            }

            /**
             * @param model the pretrained network; default MobileNetV2 from nsfwjs
             * @param layer the layer whose activations are flattened into features
             * @return this builder
             */
            public Builder optModel(ModelSource model, String layer) {
                this.model = Objects.requireNonNull(model, "model");
                this.layer = Objects.requireNonNull(layer, "layer");
                return this;
            }

            /** @param inputSize the height and width the images are resized to; default 32 @return this builder */
            public Builder optInputSize(int inputSize) {
                this.inputSize = Arguments.requirePositive(inputSize, "input size");
                return this;
            }

            /** @param images images per split (the first ones of each file), 0 for all; default 5,000 @return this builder */
            public Builder optImagesPerSplit(int images) {
                this.imagesPerSplit = Checks.atLeast("The number of images per split (0 for all)", images, 0);
                return this;
            }

            /** @param dir a directory holding the four Fashion-MNIST IDX files; default the Debian package @return this builder */
            public Builder optFashionMnistDir(Path dir) {
                this.fashionMnistDir = Objects.requireNonNull(dir, "dir");
                return this;
            }

            /** @param dir where the PNG dataset is written; default the TransferKit cache @return this builder */
            public Builder optDatasetCacheDir(Path dir) {
                this.datasetCacheDir = Objects.requireNonNull(dir, "dir");
                return this;
            }

            /** @param workDir where the stores and the predictor go @return this builder */
            public Builder optWorkDir(Path workDir) {
                this.workDir = Objects.requireNonNull(workDir, "workDir");
                return this;
            }

            /**
             * @param maxEpochs the most epochs; default {@value #DEFAULT_EPOCHS}
             * @param patience  epochs without a lower validation loss before stopping; default 2
             * @return this builder
             */
            public Builder optEpochs(int maxEpochs, int patience) {
                this.maxEpochs = Arguments.requirePositive(maxEpochs, "maximum epochs");
                this.patience = Arguments.requirePositive(patience, "patience");
                return this;
            }

            /** @param batchSize rows per training batch; default 128 @return this builder */
            public Builder optBatchSize(int batchSize) {
                this.batchSize = Arguments.requirePositive(batchSize, "batch size");
                return this;
            }

            /** @param seed seed of the row order, batch shuffling and weights; default 42 @return this builder */
            public Builder optSeed(long seed) {
                this.seed = seed;
                return this;
            }

            /** @return the settings */
            public Settings build() {
                return new Settings(model, layer, inputSize, imagesPerSplit, fashionMnistDir, datasetCacheDir, workDir,
                        maxEpochs, patience, batchSize, seed);
            }
        }
    }
}
