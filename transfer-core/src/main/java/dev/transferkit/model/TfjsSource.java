package dev.transferkit.model;

import dev.transferkit.image.InputSpec;
import dev.transferkit.model.tfjs.TfjsImporter;
import dev.transferkit.model.tfjs.TfjsModel;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A TensorFlow.js layers model on disk: a converter-style {@code model.json} with its binary weight shards, or a
 * JavaScript-module bundle ({@code model.min.js} plus {@code *.min.js} shards, as in the npm package
 * {@code nsfwjs}). It is converted to a DL4J network on every {@link #read()}; save the result with
 * {@link BaseModel#save} to skip the conversion next time.
 *
 * <p>TF.js files do not record how pixels were preprocessed, so {@link BaseModel.Builder#setPreprocessing} is
 * required on the builder {@link #read()} returns. The input size is read from the model's input layer;
 * {@link BaseModel.Builder#setInputSpec} overrides it, and is required where the input layer does not give it. The
 * model is named after its directory.
 * <pre>{@code
 * BaseModel model = TfjsSource.modelJson(Path.of("tiny/model.json")).read().setPreprocessing(Preprocessing.UNIT).build();
 * }</pre>
 */
public final class TfjsSource implements ModelSource {
    private final Path modelJson;
    private final Path bundle;

    private TfjsSource(Path modelJson, Path bundle) {
        this.modelJson = modelJson;
        this.bundle = bundle;
    }

    /**
     * Returns the source of a converter-style model.
     *
     * @param modelJson a TF.js {@code model.json}; shards are resolved relative to it
     * @return the source; nothing is read until {@link #read()}
     */
    public static TfjsSource modelJson(Path modelJson) {
        return new TfjsSource(Objects.requireNonNull(modelJson, "A TfjsSource needs the path of a model.json, but got null."), null);
    }

    /**
     * Returns the source of a JavaScript-module bundle.
     *
     * @param directory a directory holding a {@code model.min.js} bundle and its {@code *.min.js} shards
     * @return the source; nothing is read until {@link #read()}
     */
    public static TfjsSource bundle(Path directory) {
        return new TfjsSource(null, Objects.requireNonNull(directory, "A TfjsSource needs the directory of a model.min.js"
                + " bundle, but got null."));
    }

    /**
     * Reads and converts the model.
     *
     * @return a builder with the network, the directory's name, the input size when the input layer gives it, and
     *         the provenance ({@code source}, {@code file} and the model's {@code tfjs.*} entries); the preprocessing
     *         must still be set
     * @throws ModelLoadException naming the file when it cannot be read or converted
     */
    @Override
    public BaseModel.Builder read() {
        TfjsModel model = modelJson != null ? TfjsModel.fromModelJson(modelJson) : TfjsModel.fromBundle(bundle);
        Optional<InputSpec> spec = model.inputSpec();
        BaseModel.Builder b = BaseModel.builder()
                .setName(model.file().getParent().getFileName().toString())
                .setGraph(TfjsImporter.importGraph(model))
                .optProvenance("source", "tfjs-layers")
                .optProvenance("file", model.file().toString());
        model.info().forEach((k, v) -> b.optProvenance("tfjs." + k, v));
        spec.ifPresent(b::setInputSpec);
        return b.undeclared("The TF.js model " + model.file() + " does not record the preprocessing it was trained with"
                + (spec.isEmpty() ? ", nor its input size (that needs one input layer with a batch_input_shape of"
                + " [null, height, width, channels])." : "."));
    }

    @Override
    public String toString() {
        return "TfjsSource(" + (modelJson != null ? "modelJson=" + modelJson : "bundle=" + bundle) + ")";
    }
}
