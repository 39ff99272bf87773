package dev.transferkit.model;

/**
 * Somewhere a pretrained {@link BaseModel} comes from: the DL4J zoo, a DL4J zip, a Keras HDF5 file, a TensorFlow.js
 * layers model, an ONNX file, or the networks bundled in the npm package {@code nsfwjs}.
 *
 * <p>A source only reads its files. {@link #read()} returns a {@link BaseModel.Builder} holding the network and what
 * the files themselves declare (a default name, the input size, the preprocessing, feature layers, labels and
 * provenance, as far as the format records them); the descriptive settings are set or overridden on that builder:
 * <pre>{@code
 * BaseModel tiny = TfjsSource.modelJson(Path.of("tiny/model.json")).read()
 *         .setPreprocessing(Preprocessing.UNIT).optLabels(List.of("cat", "dog")).build();
 * }</pre>
 * {@link #load()} builds with what the files declare alone. A source is a functional interface, so a source with
 * settings applied is a lambda: {@code () -> source.read().setPreprocessing(p)}.
 */
@FunctionalInterface
public interface ModelSource {
    /**
     * Obtains the model's files (downloading or converting them first when needed) and reads them.
     *
     * @return a new builder holding the network and what the files declare; the settings the files do not record
     *         (for some formats the preprocessing or the input size) must be set on it before {@code build()}
     * @throws ModelLoadException naming the file and the problem when it cannot be read
     */
    BaseModel.Builder read();

    /**
     * Obtains and loads the model with what its files declare: {@code read().build()}.
     *
     * @return the loaded model
     * @throws ModelLoadException naming the file and the problem when it cannot be read
     * @throws dev.transferkit.core.MissingSettingException naming the file when it does not record a required
     *                                                      setting (then set it on {@link #read()}'s builder)
     */
    default BaseModel load() {
        return read().build();
    }
}
