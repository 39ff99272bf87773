package dev.transferkit.store;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.extract.Pooling;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What produced the rows of a feature store: the model, the layer and pooling that turned an image into a vector,
 * the preprocessing and input size the images got, the vector length and the class names the labels index.
 *
 * <p>Two stores (or a store and an extractor) are compatible exactly when their specs are {@link #equals equal};
 * {@link #requireSame(StoreSpec, Path)} names the first field that differs. Instances are immutable; build them with
 * {@link #builder()}.
 *
 * @param model         the model name, e.g. {@code "mobilenet_v2"}
 * @param layer         the layer whose activations were pooled
 * @param pooling       how they were pooled
 * @param preprocessing the preprocessing the images got
 * @param inputSpec     the network input the images were resized to
 * @param imageOptions  how images were decoded and fitted (resize policy, background, pixel limit, EXIF); images
 *                      decoded with other options are not interchangeable with these rows
 * @param featureDim    the length of one feature vector (the store's second dimension), at least 1
 * @param labelNames    the class names, label {@code i} of a row meaning {@code labelNames().get(i)}: unmodifiable,
 *                      non-empty, without duplicates
 */
public record StoreSpec(String model, String layer, Pooling pooling, Preprocessing preprocessing, InputSpec inputSpec,
                        ImageOptions imageOptions, int featureDim, List<String> labelNames) {
    /**
     * Checks a spec.
     *
     * @throws MissingSettingException  naming the first missing field
     * @throws IllegalArgumentException naming the first invalid field
     */
    public StoreSpec {
        requireText(model, "model name");
        requireText(layer, "layer name");
        if (pooling == null) {
            throw new MissingSettingException("A store spec needs a pooling (FLATTEN, AVG, MAX or AVG_MAX), but none was set.");
        }
        if (preprocessing == null) {
            throw new MissingSettingException("A store spec needs the preprocessing the images got, but none was set.");
        }
        if (inputSpec == null) {
            throw new MissingSettingException("A store spec needs the network's input spec, but none was set.");
        }
        Objects.requireNonNull(imageOptions, "imageOptions");
        if (featureDim < 1) {
            throw new IllegalArgumentException("A store spec needs a feature dimension of at least 1, but got "
                    + featureDim + ".");
        }
        if (labelNames == null || labelNames.isEmpty()) {
            throw new IllegalArgumentException("A store spec needs at least one label name, but got "
                    + (labelNames == null ? "none" : "an empty list") + ".");
        }
        if (labelNames.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("The label names " + labelNames + " contain null.");
        }
        if (labelNames.stream().distinct().count() != labelNames.size()) {
            throw new IllegalArgumentException("The label names " + labelNames + " contain duplicates.");
        }
        labelNames = List.copyOf(labelNames);
    }

    private static void requireText(String s, String what) {
        if (s == null) {
            throw new MissingSettingException("A store spec needs a " + what + ", but got none.");
        }
        if (s.isBlank()) {
            throw new IllegalArgumentException("A store spec needs a " + what + ", but got '" + s + "'.");
        }
    }

    /**
     * Starts a spec. Every setter is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Describes every field in which {@code other} differs from this spec.
     *
     * @param other the spec to compare with
     * @return one entry per differing field, in declaration order; empty when the specs are equal
     */
    List<Difference> differences(StoreSpec other) {
        List<Difference> d = new ArrayList<>();
        add(d, "model", quote(model), quote(other.model));
        add(d, "layer", quote(layer), quote(other.layer));
        add(d, "pooling", pooling.name(), other.pooling.name());
        if (!preprocessing.equals(other.preprocessing)) {
            d.add(new Difference("preprocessing", preprocessing.toString(), other.preprocessing.toString()));
        }
        if (!inputSpec.equals(other.inputSpec)) {
            d.add(new Difference("input spec", inputSpec.toString(), other.inputSpec.toString()));
        }
        if (!imageOptions.samePixels(other.imageOptions)) {
            d.add(new Difference("image options", imageOptions.toString(), other.imageOptions.toString()));
        }
        add(d, "feature dimension", Integer.toString(featureDim), Integer.toString(other.featureDim));
        if (!labelNames.equals(other.labelNames)) {
            d.add(new Difference("label names", labelNames.toString(), other.labelNames.toString()));
        }
        return d;
    }

    /**
     * Checks that a store written with this spec can serve a caller that uses {@code wanted}.
     *
     * @param wanted the spec of the caller (e.g. the extractor about to append, or a head about to train)
     * @param file   the store file, for the message
     * @throws StoreMismatchException naming the file and the first differing field with both values, e.g.
     *                                "The store /x/train.h5 was written with layer 'out_relu' but this extractor
     *                                uses layer 'block_16_project'."
     */
    public void requireSame(StoreSpec wanted, Path file) {
        List<Difference> diffs = differences(wanted);
        if (diffs.isEmpty()) {
            return;
        }
        StringBuilder msg = new StringBuilder();
        for (Difference d : diffs) {
            if (msg.length() > 0) {
                msg.append(' ');
            }
            msg.append(msg.length() == 0 ? "The store " + file + " was written with " : "It was also written with ")
                    .append(d.field()).append(' ').append(d.stored())
                    .append(" but this extractor uses ").append(d.field()).append(' ').append(d.wanted()).append('.');
        }
        msg.append(" Write the features to another file, or overwrite the store to start it over.");
        throw new StoreMismatchException(file, diffs.get(0).field(), msg.toString());
    }

    private static void add(List<Difference> d, String field, String a, String b) {
        if (!a.equals(b)) {
            d.add(new Difference(field, a, b));
        }
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }

    /** One differing field: its name, the store's value and the wanted value, formatted for messages. */
    record Difference(String field, String stored, String wanted) {
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoreSpec s && differences(s).isEmpty();
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, layer, pooling, preprocessing, inputSpec, featureDim, labelNames);
    }

    @Override
    public String toString() {
        return "StoreSpec(model=" + model + ", layer=" + layer + ", pooling=" + pooling + ", preprocessing="
                + preprocessing.name() + ", input=" + inputSpec + ", " + imageOptions + ", featureDim=" + featureDim + ", labels="
                + labelNames.size() + " " + abbreviate(labelNames) + ")";
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 5 ? names.toString()
                : names.subList(0, 5).toString().replace("]", ", ...]");
    }

    /** Builds a {@link StoreSpec}; every setter is required. */
    public static final class Builder {
        private String model;
        private String layer;
        private Pooling pooling;
        private Preprocessing preprocessing;
        private InputSpec inputSpec;
        private ImageOptions imageOptions = ImageOptions.defaults();
        private int featureDim;
        private List<String> labelNames;

        private Builder() {
        }

        /**
         * Sets the model name.
         *
         * @param model a non-empty name, e.g. {@code "mobilenet_v2"}
         * @return this builder
         */
        public Builder setModel(String model) {
            this.model = model;
            return this;
        }

        /**
         * Sets the layer whose activations are stored.
         *
         * @param layer a non-empty layer (vertex) name
         * @return this builder
         */
        public Builder setLayer(String layer) {
            this.layer = layer;
            return this;
        }

        /**
         * Sets how activations are reduced to a vector.
         *
         * @param pooling the pooling
         * @return this builder
         */
        public Builder setPooling(Pooling pooling) {
            this.pooling = pooling;
            return this;
        }

        /**
         * Sets the pixel preprocessing.
         *
         * @param preprocessing the preprocessing the images get
         * @return this builder
         */
        public Builder setPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /**
         * Sets the input size and layout.
         *
         * @param inputSpec the network input the images are resized to
         * @return this builder
         */
        public Builder setInputSpec(InputSpec inputSpec) {
            this.inputSpec = inputSpec;
            return this;
        }

        /**
         * @param imageOptions how the images were decoded and resized (default {@link ImageOptions#defaults()})
         * @return this builder
         */
        public Builder optImageOptions(ImageOptions imageOptions) {
            this.imageOptions = java.util.Objects.requireNonNull(imageOptions, "imageOptions");
            return this;
        }

        /**
         * Sets the length of one feature vector.
         *
         * @param featureDim at least 1
         * @return this builder
         */
        public Builder setFeatureDim(int featureDim) {
            this.featureDim = featureDim;
            return this;
        }

        /**
         * Sets the class names that labels index.
         *
         * @param labelNames non-empty, no nulls, no duplicates
         * @return this builder
         */
        public Builder setLabelNames(List<String> labelNames) {
            this.labelNames = labelNames == null ? null : new ArrayList<>(labelNames);
            return this;
        }

        /**
         * Builds the spec.
         *
         * @return the immutable spec
         * @throws IllegalArgumentException naming the first missing or invalid field
         */
        public StoreSpec build() {
            return new StoreSpec(model, layer, pooling, preprocessing, inputSpec, imageOptions, featureDim, labelNames);
        }
    }
}
