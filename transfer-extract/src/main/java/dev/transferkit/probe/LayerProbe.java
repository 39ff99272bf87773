package dev.transferkit.probe;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.CrossValidationReport;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.GraphBlocks;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.LoadedFeatures;
import dev.transferkit.extract.Pooling;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Chooses the feature layer by experiment instead of by guess: one forward pass writes every candidate layer (and
 * pooling) into its own feature store, then a linear head is cross-validated on each, and the candidate with the best
 * balanced accuracy wins. The stores stay in the work directory, so an interrupted probe resumes, and the winner's
 * store is the training store of the head that follows.
 *
 * <pre>{@code
 * ProbeResult r = LayerProbe.builder().setExtraction(ExtractionSettings.builder().setModel(model).build()).build()
 *         .probe(ImageFolder.open(data), "train", Path.of("work/probe"));
 * System.out.println(r.table());
 * }</pre>
 */
public final class LayerProbe {
    /** The layer name that asks the command line for a probe ({@code --layer auto}). */
    public static final String AUTO = "auto";
    /** C values in a row without a better cross-validated score after which a candidate's C grid stops. */
    static final int PATIENCE = 1;
    /**
     * The L-BFGS iteration limit of the probe's fits (the head's own is 100). Ranking layers needs less: on
     * Fashion-MNIST (2,000 images, MobileNetV2's 4 declared candidates) the cross-validated balanced accuracies with 50
     * iterations equal those with 100 to 0.001, the choice is the same, and the cross-validation takes 3.0 s instead of
     * 5.5 s.
     */
    static final int MAX_ITERATIONS = 50;

    private static final Logger LOG = LoggerFactory.getLogger(LayerProbe.class);

    private final ExtractionSettings settings;
    private final BaseModel model;
    private final List<String> layers;
    private final List<Pooling> poolings;
    private final int folds;
    private final double[] cGrid;
    private final long seed;

    private LayerProbe(Builder b) {
        this.settings = b.settings;
        this.model = settings.model();
        this.layers = candidates(model, b.layers != null ? b.layers : model.featureLayers(), b.blockOutputs);
        if (layers.isEmpty()) {
            throw new TransferKitException("The model '" + model.name() + "' declares no feature layers to probe; name the"
                    + " candidates with optLayers. Its layers are: " + model.layerNames() + ".");
        }
        layers.forEach(model::requireLayer);
        this.poolings = b.poolings != null ? b.poolings
                : settings.targets().stream().map(FeatureTarget::pooling).distinct().toList();
        this.folds = b.folds;
        this.cGrid = b.cGrid.clone();
        this.seed = b.seed;
    }

    /** The given layers, with every block output added in graph order when asked. */
    private static List<String> candidates(BaseModel model, List<String> given, boolean blockOutputs) {
        if (!blockOutputs) {
            return given;
        }
        List<String> order = model.graph().getConfiguration().getTopologicalOrderStr();
        java.util.Set<String> all = new java.util.LinkedHashSet<>(given);
        all.addAll(GraphBlocks.outputs(model.graph()));
        return all.stream().sorted(Comparator.comparingInt(order::indexOf)).toList();
    }

    /**
     * Starts a builder: {@code setExtraction} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return every candidate layer and pooling, in the order they are probed */
    public List<FeatureTarget> targets() {
        List<FeatureTarget> out = new ArrayList<>();
        for (String layer : layers) {
            for (Pooling p : poolings) {
                out.add(new FeatureTarget(layer, p));
            }
        }
        return out;
    }

    /**
     * Probes a split of an image folder.
     *
     * @param data    the dataset
     * @param split   the split to cross-validate on, e.g. {@code "train"}
     * @param workDir where the candidates' stores go (resumed when they exist)
     * @return the scores of every candidate and the winner
     */
    public ProbeResult probe(ImageFolder data, String split, Path workDir) {
        return probe(data.images(split), data.labelEncoder(), workDir);
    }

    /**
     * Probes a list of labelled images.
     *
     * @param images  the images
     * @param encoder their class names
     * @param workDir where the candidates' stores go (resumed when they exist)
     * @return the scores of every candidate and the winner
     * @throws IllegalArgumentException naming the class when the images hold fewer than two classes, or a class has
     *                                  fewer images than folds (checked before anything is extracted)
     */
    public ProbeResult probe(List<LabeledImage> images, LabelEncoder encoder, Path workDir) {
        requireEnoughPerClass(images, encoder);
        List<FeatureTarget> targets = targets();
        FeatureExtractor extractor = FeatureExtractor.of(settings.toBuilder().optTargets(targets).build());
        long t0 = System.nanoTime();
        Map<FeatureTarget, FeatureStore> stores = extractor.extractAll(images, encoder, workDir);
        double extractSeconds = (System.nanoTime() - t0) / 1e9;
        List<String> order = model.graph().getConfiguration().getTopologicalOrderStr();
        List<ProbeRow> rows = new ArrayList<>();
        try {
            for (FeatureTarget t : targets) {
                FeatureStore store = stores.get(t);
                int depth = order.indexOf(t.layer());
                ProbeRow same = rows.stream().filter(r -> r.sameAs() == null && SameFeatures.test(stores.get(r.target()), store))
                        .findFirst().orElse(null);
                if (same != null) {
                    LOG.info("Probe {}: the same features as {}, not cross-validated again", t, same.target());
                    rows.add(same.sameFeaturesAs(t, depth, sizeOf(store.path())));
                    continue;
                }
                ProbeRow row = score(t, depth, store);
                LOG.info("Probe {}: balanced accuracy {} ± {} (C={})", t, row.balancedAccuracy(), row.balancedSpread(), row.c());
                rows.add(row);
            }
        } finally {
            stores.values().forEach(FeatureStore::close);
        }
        ProbeRow winner = rows.stream().filter(r -> r.sameAs() == null).max(Comparator.comparingDouble(ProbeRow::balancedAccuracy)
                .thenComparingDouble(ProbeRow::accuracy).thenComparing(Comparator.comparingInt(ProbeRow::dim).reversed()))
                .orElseThrow();
        return new ProbeResult(rows, winner, folds, extractSeconds);
    }

    /** Refuses, before anything is extracted, data that cannot be cross-validated, naming the class at fault. */
    private void requireEnoughPerClass(List<LabeledImage> images, LabelEncoder encoder) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        images.forEach(i -> counts.merge(i.label(), 1L, Long::sum));
        if (counts.size() < 2) {
            throw new IllegalArgumentException("Cross-validation needs at least two classes with images, but the "
                    + images.size() + " images are all of " + (counts.isEmpty() ? "no class" : "one class " + counts.keySet())
                    + ".");
        }
        counts.forEach((label, n) -> {
            if (n < folds) {
                throw new IllegalArgumentException("The class '" + label + "' has " + n + " image(s), fewer than the "
                        + folds + " cross-validation folds; add images or use fewer folds.");
            }
        });
    }

    /**
     * Cross-validates the linear head on one candidate's store over the C grid; the row holds the chosen C's scores.
     * The grid stops once a larger C has not scored better ({@link #PATIENCE}), and each fit after
     * {@link #MAX_ITERATIONS} iterations: the least regularised fits are the slowest, and a probe ranks layers rather
     * than tuning C to the last digit (the head trained afterwards cross-validates its own grid with its own limit).
     */
    private ProbeRow score(FeatureTarget target, int depth, FeatureStore store) {
        long t0 = System.nanoTime();
        LoadedFeatures data = store.loadAll();
        CrossValidationReport report = LinearHeadTrainer.builder().setKind(LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                .optCrossValidation(cGrid, folds).optCrossValidationPatience(PATIENCE).optMaxIterations(MAX_ITERATIONS).optClassWeights(ClassWeights.balanced())
                .optSeed(seed).build().crossValidate(data.features(), data.labels(), data.labelNames());
        CrossValidationReport.Score best = report.chosen();
        return new ProbeRow(target, depth, (int) data.features().columns(), best.accuracy(), best.accuracySpread(),
                best.balancedAccuracy(), best.balancedSpread(), best.c(), (System.nanoTime() - t0) / 1e9,
                sizeOf(store.path()), null);
    }

    /** The size of a store file, or -1 when it cannot be read. */
    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return "LayerProbe(model=" + model.name() + ", layers=" + layers + ", poolings=" + poolings + ", folds=" + folds
                + ", C=" + Arrays.toString(cGrid) + ", seed=" + seed + ")";
    }

    /** Builder for {@link LayerProbe}. */
    public static final class Builder {
        private ExtractionSettings settings;
        private List<String> layers;
        private boolean blockOutputs;
        private List<Pooling> poolings;
        private int folds = 5;
        private double[] cGrid = {0.01, 0.1, 1, 10};
        private long seed = 42;

        private Builder() {
        }

        /**
         * Sets how the candidates are extracted: the model whose layers are probed, the batch size, threads, image
         * options, fail-fast, overwrite and listener. The settings' own layers are not probed unless named by
         * {@link #optLayers}; their poolings are the default of {@link #optPoolings}.
         *
         * @param settings the extraction settings
         * @return this builder
         */
        public Builder setExtraction(ExtractionSettings settings) {
            this.settings = settings;
            return this;
        }

        /**
         * Sets the candidate layers; by default the model's declared feature layers.
         *
         * @param layers layer names of the model
         * @return this builder
         */
        public Builder optLayers(List<String> layers) {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("A probe needs at least one candidate layer.");
            }
            this.layers = List.copyOf(layers);
            return this;
        }

        /**
         * Adds every block output of the network ({@link GraphBlocks}: where one residual block or Inception module
         * ends and the next begins) to the candidates, which are then probed in graph order. Off by default: a deep
         * network has many (15 for MobileNetV2, 12 for InceptionV3), and each costs a cross-validation.
         *
         * @param blockOutputs whether to add them
         * @return this builder
         */
        public Builder optBlockOutputs(boolean blockOutputs) {
            this.blockOutputs = blockOutputs;
            return this;
        }

        /**
         * Sets the poolings tried with every layer; by default the pooling of the extraction settings (global average
         * unless set otherwise).
         *
         * @param poolings at least one
         * @return this builder
         */
        public Builder optPoolings(List<Pooling> poolings) {
            if (poolings.isEmpty() || poolings.stream().distinct().count() != poolings.size()) {
                throw new IllegalArgumentException("Poolings must be at least one and distinct, but got " + poolings + ".");
            }
            this.poolings = List.copyOf(poolings);
            return this;
        }

        /**
         * Sets the number of cross-validation folds (default 5).
         *
         * @param folds at least 2
         * @return this builder
         */
        public Builder optFolds(int folds) {
            if (folds < 2) {
                throw new IllegalArgumentException("Cross-validation needs at least 2 folds, but got " + folds + ".");
            }
            this.folds = folds;
            return this;
        }

        /**
         * Sets the regularisation strengths tried for every candidate (default 0.01, 0.1, 1, 10).
         *
         * @param grid positive values
         * @return this builder
         */
        public Builder optCGrid(double... grid) {
            if (grid.length == 0 || Arrays.stream(grid).anyMatch(c -> !(c > 0))) {
                throw new IllegalArgumentException("The C grid must hold positive values, but got " + Arrays.toString(grid) + ".");
            }
            this.cGrid = grid.clone();
            return this;
        }

        /**
         * Sets the seed of the fold assignment and the solver (default 42).
         *
         * @param seed any value
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the probe.
         *
         * @return the probe
         * @throws MissingSettingException when no extraction settings were set
         * @throws TransferKitException    naming a candidate layer the model lacks, with the layers it has
         */
        public LayerProbe build() {
            MissingSettingException.require(settings, "A LayerProbe needs extraction settings: call setExtraction.");
            return new LayerProbe(this);
        }
    }
}
