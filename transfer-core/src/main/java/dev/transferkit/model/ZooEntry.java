package dev.transferkit.model;

import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksum;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.List;

/**
 * What {@link ZooSource} needs to know about one pretrained file of the model zoo. {@link ZooArchitecture}
 * implements it for the DL4J zoo; tests implement it to serve small stand-in files.
 */
interface ZooEntry {
    /** @return the model's name, used as the cache sub-directory and the {@link BaseModel} name */
    String modelName();

    /** @return the file's path relative to the zoo's base URL, e.g. {@code models/vgg16_dl4j_inference.zip} */
    String remotePath();

    /** @return the checksum the file must have */
    Checksum checksum();

    /** @return the input the pretrained network expects */
    InputSpec inputSpec();

    /** @return the preprocessing the pretrained network was trained with */
    Preprocessing preprocessing();

    /** @return the class names of the pretrained head */
    List<String> labels();

    /**
     * Names the useful feature layers as they are called in {@code graph}.
     *
     * @param graph the restored network
     * @return the layers, recommended default first
     */
    List<String> resolveFeatureLayers(ComputationGraph graph);

    /**
     * Applies the fixes the restored network needs before use (what the zoo's own {@code initPretrained} does).
     *
     * @param graph the restored network
     */
    void prepare(ComputationGraph graph);
}
