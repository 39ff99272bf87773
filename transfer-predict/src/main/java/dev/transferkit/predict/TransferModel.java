package dev.transferkit.predict;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.transferkit.core.AtomicFiles;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.eval.ClassificationReport;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.extract.Pooling;
import dev.transferkit.head.Head;
import dev.transferkit.head.HeadCodec;
import dev.transferkit.image.BatchLoader;
import dev.transferkit.image.ImageBatch;
import dev.transferkit.image.ImageFailure;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.LabelEncoder;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.image.ImagePipeline;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.Classification;
import dev.transferkit.model.ModelLoadException;
import dev.transferkit.model.Prediction;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A trained image classifier saved as one file: the base network with its preprocessing and input size, the layer
 * and pooling its features come from, the head trained on them, the class names, and provenance. Loading it in a
 * fresh JVM gives identical predictions.
 *
 * <p>Two shapes share this class: feature extraction (base network → layer → pooling → {@link Head}) and
 * fine-tuning (a whole network whose own output is the classifier; no separate head).
 */
public final class TransferModel {
    /** The predictor metadata version this code writes; it reads every version up to this one. */
    static final int VERSION = 1;
    private static final String METADATA = "transferkit-predictor.json";
    private static final String BASE_ENTRY = "base-model.zip";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TransferModel.class);

    private final FeaturePipeline features;
    private final Head head;
    private final ImageOptions imageOptions;
    private final List<String> labels;
    private final Map<String, String> provenance;

    private TransferModel(FeaturePipeline features, Head head, ImageOptions imageOptions, List<String> labels,
                          Map<String, String> provenance) {
        this.features = features;
        this.head = head;
        this.imageOptions = Objects.requireNonNull(imageOptions, "imageOptions");
        this.labels = List.copyOf(labels);
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    /**
     * A predictor made of a feature pipeline and a head trained on its features.
     *
     * @param features     base network, layer and pooling
     * @param head         the trained head
     * @param imageOptions how the training images were decoded and resized; new images get the same
     * @param provenance   how it was trained (data, settings, scores)
     * @return the predictor
     */
    public static TransferModel of(FeaturePipeline features, Head head, ImageOptions imageOptions, Map<String, String> provenance) {
        Objects.requireNonNull(head, "head");
        return new TransferModel(Objects.requireNonNull(features, "features"), head, imageOptions, head.labels(), provenance);
    }

    /**
     * A predictor whose network's own output is the classifier (a fine-tuned network).
     *
     * @param network      the network; its labels are the classes
     * @param imageOptions how the training images were decoded and resized; new images get the same
     * @param provenance   how it was trained
     * @return the predictor
     * @throws IllegalArgumentException when the network has no label names
     */
    public static TransferModel ofNetwork(BaseModel network, ImageOptions imageOptions, Map<String, String> provenance) {
        if (network.labels().isEmpty()) {
            throw new IllegalArgumentException("The network '" + network.name() + "' has no label names; a predictor needs them.");
        }
        String out = network.graph().getConfiguration().getNetworkOutputs().get(0);
        return new TransferModel(new FeaturePipeline(network, out, Pooling.FLATTEN), null, imageOptions, network.labels(), provenance);
    }

    /** @return how images are decoded and resized for this predictor: as they were for its training images */
    public ImageOptions imageOptions() {
        return imageOptions;
    }

    /** @return the pipeline that turns image files into this predictor's input, with its recorded image options */
    public ImagePipeline pipeline() {
        return features.model().pipeline(imageOptions);
    }

    /** @return the class names */
    public List<String> labels() {
        return labels;
    }

    /** @return the base network (or the whole fine-tuned network) */
    public BaseModel baseModel() {
        return features.model();
    }

    /** @return the layer features come from */
    public String layer() {
        return features.layer();
    }

    /** @return the pooling of that layer's activations */
    public Pooling pooling() {
        return features.pooling();
    }

    /** @return what this predictor's features are computed with: base network, layer, pooling, input size, preprocessing */
    public FeatureOrigin featureOrigin() {
        return FeatureOrigin.of(features.model(), features.targets().get(0));
    }

    /** @return the head, or {@code null} when the network's own output classifies */
    public Head head() {
        return head;
    }

    /** @return how this predictor was made */
    public Map<String, String> provenance() {
        return provenance;
    }

    /**
     * Classifies one image file.
     *
     * @param image the file
     * @return the ranked classes
     * @throws dev.transferkit.image.ImageDecodeException when the file cannot be decoded
     */
    public Classification predict(Path image) {
        INDArray batch = pipeline().load(image);
        return classify(batch, List.of(image)).get(0);
    }

    /**
     * Classifies a preprocessed batch.
     *
     * @param batch  images in the base model's input layout
     * @param images the files they came from (for the results), same order
     * @return one classification per image
     */
    public List<Classification> classify(INDArray batch, List<Path> images) {
        INDArray f = features.features(batch);
        List<Classification> out = new ArrayList<>();
        for (int i = 0; i < f.rows(); i++) {
            double[] scores = head == null ? f.getRow(i).toDoubleVector() : head.scores(f.getRow(i).toFloatVector());
            List<Prediction> ranked = new ArrayList<>();
            for (int c = 0; c < scores.length; c++) {
                ranked.add(new Prediction(c, labels.get(c), scores[c]));
            }
            ranked.sort(Comparator.comparingDouble(Prediction::probability).reversed());
            out.add(new Classification(images.get(i), ranked, head == null || head.probabilistic()));
        }
        return out;
    }

    /**
     * Evaluates the predictor on the images of a split: decoded in parallel with this predictor's image options,
     * classified batch by batch. Images that cannot be decoded are skipped with a warning naming them.
     *
     * @param data  the dataset
     * @param split the split, e.g. {@code "test"}
     * @return the classification report
     * @throws TransferKitException when the split is missing, has a class this predictor does not know, or has no
     *                              image that could be decoded
     */
    public ClassificationReport evaluate(ImageFolder data, String split) {
        List<LabeledImage> images = data.images(split);
        for (LabeledImage li : images) {
            if (!labels.contains(li.label())) {
                throw new TransferKitException("The image " + li.path() + " has the class '" + li.label()
                        + "', which this predictor does not know (" + labels + ").");
            }
        }
        int[] truth = new int[images.size()];
        int[] predicted = new int[images.size()];
        int n = 0;
        int failed = 0;
        try (BatchLoader loader = BatchLoader.builder().setImages(images).setPipeline(pipeline())
                .setLabelEncoder(LabelEncoder.fromList(labels)).optBatchSize(32).build()) {
            while (loader.hasNext()) {
                ImageBatch batch = loader.next();
                for (ImageFailure f : batch.failures()) {
                    LOG.warn("Skipping {}: {}", f.path(), f.reason());
                    failed++;
                }
                if (batch.isEmpty()) {
                    continue;
                }
                List<Classification> out = classify(batch.features(), batch.paths());
                for (int i = 0; i < out.size(); i++) {
                    truth[n] = batch.labels()[i];
                    predicted[n++] = labels.indexOf(out.get(i).label());
                }
            }
        }
        if (n == 0) {
            throw new TransferKitException("None of the " + images.size() + " images of " + data.root().resolve(split)
                    + " could be decoded (" + failed + " failed); see the warnings.");
        }
        return ClassificationReport.of(labels, java.util.Arrays.copyOf(truth, n), java.util.Arrays.copyOf(predicted, n));
    }

    /**
     * Evaluates the predictor on stored features (e.g. a feature store) computed with the same model, layer, pooling,
     * input size and preprocessing, without running the network again.
     *
     * @param store complete stored features whose label names equal this predictor's
     * @return the classification report
     * @throws TransferKitException when the features were computed by another model, layer, pooling, input size or
     *                              preprocessing, have another dimension than the head, or have other labels
     */
    public ClassificationReport evaluate(StoredFeatures store) {
        // Input size and preprocessing change the features as much as the layer does; a store made with other ones
        // would give a silently wrong report.
        if (!store.origin().equals(featureOrigin())) {
            throw new TransferKitException("The store " + store.path() + " holds " + store.origin()
                    + " features, but this predictor uses " + featureOrigin()
                    + "; extract the store again with this predictor's base model.");
        }
        if (head != null && store.dim() != head.inputDim()) {
            throw new TransferKitException("The store " + store.path() + " holds " + store.dim()
                    + "-dimensional features, but this predictor's head takes " + head.inputDim() + ".");
        }
        if (!store.labelNames().equals(labels)) {
            throw new TransferKitException("The store " + store.path() + " has the classes " + store.labelNames()
                    + " but this predictor knows " + labels + ".");
        }
        int n = (int) store.rows();
        int[] truth = new int[n];
        int[] predicted = new int[n];
        final int block = 1024;
        for (int start = 0; start < n; start += block) {
            int count = Math.min(block, n - start);
            INDArray rows = store.readFeatures(start, count);
            int[] labelsRead = store.readLabels(start, count);
            for (int i = 0; i < count; i++) {
                float[] row = rows.getRow(i).toFloatVector();
                predicted[start + i] = head == null ? argMax(row) : head.predict(row);
                truth[start + i] = labelsRead[i];
            }
        }
        return ClassificationReport.of(labels, truth, predicted);
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Saves the predictor as one zip; the file is either complete or absent.
     *
     * @param file the file to write
     * @throws TransferKitException when it cannot be written
     */
    public void save(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path base = Files.createTempFile(dir, ".base-", ".zip");
            try {
                features.model().save(base);
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("format", "transferkit-predictor");
                meta.put("version", VERSION);
                meta.put("labels", labels);
                meta.put("layer", features.layer());
                meta.put("pooling", features.pooling().name());
                meta.put("imageOptions", imageOptions.toMap());
                meta.put("head", head == null ? "network" : head.getClass().getSimpleName());
                meta.put("headInputDim", head == null ? 0 : head.inputDim());
                meta.put("headInfo", head == null ? Map.of() : HeadCodec.info(head));
                meta.put("provenance", provenance);
                AtomicFiles.write(file, out -> {
                    try (ZipOutputStream zip = new ZipOutputStream(out)) {
                        put(zip, METADATA, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
                        put(zip, BASE_ENTRY, Files.readAllBytes(base));
                        if (head != null) {
                            for (Map.Entry<String, byte[]> e : HeadCodec.encode(head).entrySet()) {
                                put(zip, e.getKey(), e.getValue());
                            }
                        }
                    }
                });
            } finally {
                Files.deleteIfExists(base);
            }
        } catch (IOException e) {
            throw new TransferKitException("Could not save the predictor to " + file + ": " + e.getMessage(), e);
        }
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    /**
     * Loads a predictor saved with {@link #save}.
     *
     * @param file the zip
     * @return the predictor
     * @throws ModelLoadException naming the file when it is missing, truncated or not a TransferKit predictor
     */
    @SuppressWarnings("unchecked")
    public static TransferModel load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("The predictor file " + file + " does not exist or is not a regular file.");
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                entries.put(e.getName(), zip.readAllBytes());
            }
        } catch (IOException e) {
            throw new ModelLoadException("The predictor file " + file + " is not a readable zip (" + e.getMessage()
                    + "); it may be truncated.", e);
        }
        if (!entries.containsKey(METADATA) || !entries.containsKey(BASE_ENTRY)) {
            throw new ModelLoadException("The file " + file + " is not a TransferKit predictor: it lacks "
                    + (entries.containsKey(METADATA) ? BASE_ENTRY : METADATA) + ".");
        }
        try {
            Map<String, Object> meta = JSON.readValue(entries.get(METADATA), new TypeReference<Map<String, Object>>() { });
            if (!"transferkit-predictor".equals(meta.get("format"))) {
                throw new ModelLoadException("The file " + file + " is not a TransferKit predictor (format is " + meta.get("format") + ").");
            }
            int version = ((Number) meta.get("version")).intValue();
            if (version < 1 || version > VERSION) {
                throw new ModelLoadException("The predictor " + file + " was saved with predictor metadata version " + version
                        + ", but this TransferKit reads versions 1 to " + VERSION + (version > VERSION
                        ? "; it was written by a newer TransferKit: load it with that version or newer." : "."));
            }
            Path base = Files.createTempFile("transferkit-base-", ".zip");
            BaseModel model;
            try {
                Files.write(base, entries.get(BASE_ENTRY));
                model = BaseModel.load(base);
            } finally {
                Files.deleteIfExists(base);
            }
            List<String> labels = (List<String>) meta.get("labels");
            FeaturePipeline pipeline = new FeaturePipeline(model, (String) meta.get("layer"), Pooling.valueOf((String) meta.get("pooling")));
            Map<String, String> provenance = (Map<String, String>) meta.get("provenance");
            // Predictors saved before the options were recorded were trained on images with the default options.
            ImageOptions images = meta.containsKey("imageOptions")
                    ? ImageOptions.fromMap((Map<String, Object>) meta.get("imageOptions")) : ImageOptions.defaults();
            if ("network".equals(meta.get("head"))) {
                return new TransferModel(pipeline, null, images, labels, provenance);
            }
            Head head = HeadCodec.decode(entries, labels, ((Number) meta.get("headInputDim")).intValue(),
                    (Map<String, String>) meta.get("headInfo"));
            return new TransferModel(pipeline, head, images, labels, provenance);
        } catch (IOException | ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new ModelLoadException("The predictor " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TransferModel(base=" + features.model().name() + ", layer=" + features.layer() + ", pooling=" + features.pooling()
                + ", head=" + (head == null ? "network output" : head) + ", " + imageOptions + ", labels=" + labels + ")";
    }
}
