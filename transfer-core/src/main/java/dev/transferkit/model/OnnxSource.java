package dev.transferkit.model;

import dev.transferkit.core.MissingSettingException;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.onnx.OnnxGraphImporter;
import dev.transferkit.onnx.OnnxLayers;
import dev.transferkit.onnx.OnnxModel;
import dev.transferkit.onnx.OnnxModelException;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A pretrained CNN exported to ONNX ({@code torch.onnx.export} of a torchvision or timm model, tf2onnx, Keras 3's
 * {@code export}), as a {@link BaseModel}:
 * <ul>
 *   <li>frozen forward passes (classification, feature extraction, the frozen part of fine-tuning) run the file's own
 *       graph in ONNX Runtime, cut at the requested tensor;</li>
 *   <li>the graph is also mapped onto a DL4J network with the same weights and the ONNX tensor names as its layer
 *       names, which fine-tuning trains and {@link BaseModel#save} saves;</li>
 *   <li>the feature layers are the pooled vector the classifier reads (the default) and every block output
 *       ({@link OnnxLayers}); any other tensor of the graph can be named as a layer.</li>
 * </ul>
 * The input size comes from the graph, or from {@link Builder#optInputSize} where the graph leaves it open (the
 * mapping onto DL4J needs it, so it is a setting of the source). The preprocessing is not in ONNX files: unless
 * {@link BaseModel.Builder#setPreprocessing} is called on the builder {@link #read()} returns, it is torchvision's
 * ImageNet normalisation ({@link Preprocessing#TORCH}). A 1000-class output gets the ImageNet class names.
 * <pre>{@code
 * BaseModel model = OnnxSource.builder().setFile(Path.of("model.onnx")).optInputSize(224, 224).build().read()
 *         .setPreprocessing(Preprocessing.preset("tf")).build();
 * }</pre>
 */
public final class OnnxSource implements ModelSource {
    private final Path file;
    private final int height;
    private final int width;

    private OnnxSource(Builder b) {
        this.file = b.file;
        this.height = b.height;
        this.width = b.width;
    }

    /**
     * Starts a builder: {@code setFile} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the file and maps its graph onto DL4J.
     *
     * @return a builder with the network, the file's base name, the input spec, the feature layers, the ImageNet
     *         labels for a 1000-class output, the provenance ({@code source}, {@code file}, {@code opset},
     *         {@code producer}, {@code labels}) and the file for the inference engine; the preprocessing defaults to
     *         {@link Preprocessing#TORCH}, which the provenance entry {@code preprocessing} notes
     * @throws OnnxModelException when the file is not a usable ONNX image model, or its input size is open and was not
     *                            given
     * @throws dev.transferkit.onnx.OnnxImportException naming the operator, node and inputs DL4J cannot represent
     */
    @Override
    public BaseModel.Builder read() {
        OnnxModel model = OnnxModel.read(file);
        InputSpec spec = inputSpec(model);
        long[] batch = spec.batchShape(1);
        batch[0] = -1;
        model.requireInput(batch);
        ComputationGraph graph = OnnxGraphImporter.importGraph(model.proto(), spec.channels(), spec.height(), spec.width());
        long[] out = model.outputNames().size() == 1 ? model.declaredShape(model.outputNames().get(0)) : new long[0];
        long classes = out.length == 2 ? out[1] : -1;
        String fileName = model.file().getFileName().toString();
        BaseModel.Builder b = BaseModel.builder()
                .setName(fileName.endsWith(".onnx") ? fileName.substring(0, fileName.length() - 5) : fileName)
                .setGraph(graph).setInputSpec(spec)
                .optFeatureLayers(OnnxLayers.candidates(model).stream().filter(graph.getConfiguration().getVertices()::containsKey)
                        .toList())
                .optOnnxFile(model.file())
                .optProvenance("source", "onnx")
                .optProvenance("file", model.file().toString())
                .optProvenance("opset", String.valueOf(model.opset()))
                .optProvenance("producer", (model.proto().getProducerName() + " " + model.proto().getProducerVersion()).strip())
                .undeclared("The ONNX model " + file + " does not say how its images were preprocessed.")
                .defaultPreprocessing(Preprocessing.TORCH, "default for ONNX models");
        if (classes == ImageNetClasses.COUNT) {
            b.optLabels(ImageNetClasses.labels()).optProvenance("labels", "ImageNet's 1000 classes (the output has 1000)");
        }
        return b;
    }

    /** The input size from the graph, with the configured height and width where it leaves them open. */
    private InputSpec inputSpec(OnnxModel model) {
        long[] s = model.inputShape();
        boolean nhwc = s[1] != 1 && s[1] != 3 && (s[3] == 1 || s[3] == 3);
        long c = nhwc ? s[3] : s[1] > 0 ? s[1] : 3;
        long h = height > 0 ? height : nhwc ? s[1] : s[2];
        long w = width > 0 ? width : nhwc ? s[2] : s[3];
        if (h <= 0 || w <= 0) {
            throw new OnnxModelException("The ONNX model " + model.file() + " leaves its input's height and width open ("
                    + Arrays.toString(s) + ", -1: open); give them with optInputSize (CLI: --input-size, e.g. 224).");
        }
        return new InputSpec((int) h, (int) w, (int) c, nhwc ? DataFormat.NHWC : DataFormat.NCHW);
    }

    @Override
    public String toString() {
        return "OnnxSource(" + file + (height > 0 ? ", " + height + "x" + width : "") + ")";
    }

    /** Builder for {@link OnnxSource}. */
    public static final class Builder {
        private Path file;
        private int height;
        private int width;

        private Builder() {
        }

        /**
         * Sets the model file.
         *
         * @param file an {@code .onnx} file; external weight files must sit in its directory
         * @return this builder
         */
        public Builder setFile(Path file) {
            this.file = file;
            return this;
        }

        /**
         * Sets the input height and width, for graphs that leave them open (a size the graph fixes must match).
         *
         * @param height pixels, at least 1
         * @param width  pixels, at least 1
         * @return this builder
         */
        public Builder optInputSize(int height, int width) {
            if (height < 1 || width < 1) {
                throw new IllegalArgumentException("An input size must be at least 1x1, but got " + height + "x" + width + ".");
            }
            this.height = height;
            this.width = width;
            return this;
        }

        /**
         * Builds the source; nothing is read until {@link OnnxSource#read()}.
         *
         * @return the source
         * @throws MissingSettingException when no file was set
         */
        public OnnxSource build() {
            MissingSettingException.require(file, "An OnnxSource needs the model file: call setFile.");
            return new OnnxSource(this);
        }
    }
}
