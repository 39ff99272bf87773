package dev.transferkit.model;

/**
 * Somewhere a pretrained {@link BaseModel} comes from: the DL4J zoo, a DL4J zip, a Keras HDF5 file,
 * a TensorFlow.js layers model, or the networks bundled in the npm package {@code nsfwjs}.
 */
public interface ModelSource {
    /**
     * Obtains and loads the model, downloading or converting it first when needed.
     *
     * @return the loaded model
     * @throws ModelLoadException naming the file and the problem when it cannot be loaded
     */
    BaseModel load();
}
