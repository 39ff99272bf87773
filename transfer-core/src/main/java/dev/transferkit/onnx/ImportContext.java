package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph under construction while {@link OnnxGraphImporter} walks the ONNX nodes: the DL4J graph builder, the
 * shape of every activation tensor that has a vertex, the constant tensors, the parameters to load once the graph
 * is initialised, and which nodes consume which tensor.
 */
final class ImportContext {
    private final ComputationGraphConfiguration.GraphBuilder builder;
    private final Map<String, ActivationShape> shapes = new HashMap<>();
    private final Map<String, INDArray> constants = new HashMap<>();
    private final Map<String, Map<String, INDArray>> params = new LinkedHashMap<>();
    private final Set<String> nonNegative = new HashSet<>();
    private final Set<String> reservedNames;
    private final Map<String, List<OnnxNode>> consumers;
    private final Set<String> graphOutputs;
    private final Set<OnnxNode> done = new HashSet<>();

    /**
     * Starts a graph.
     *
     * @param builder       the DL4J graph builder, with the network input added
     * @param reservedNames every tensor name of the ONNX graph (helper vertices must not take one)
     * @param consumers     for each tensor name, the nodes that read it
     * @param graphOutputs  the ONNX graph's output names
     */
    ImportContext(ComputationGraphConfiguration.GraphBuilder builder, Set<String> reservedNames,
                  Map<String, List<OnnxNode>> consumers, Set<String> graphOutputs) {
        this.builder = builder;
        this.reservedNames = new HashSet<>(reservedNames);
        this.consumers = consumers;
        this.graphOutputs = graphOutputs;
    }

    /**
     * Declares the network input.
     *
     * @param name  its tensor name
     * @param shape its per-example shape
     */
    void input(String name, ActivationShape shape) {
        shapes.put(name, shape);
    }

    /**
     * @param name a tensor name
     * @return whether it is a constant (an initialiser or a {@code Constant} node's output)
     */
    boolean isConstant(String name) {
        return constants.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return whether a vertex (or the network input) computes it
     */
    boolean isActivation(String name) {
        return shapes.containsKey(name);
    }

    /**
     * Records a constant tensor.
     *
     * @param name  its tensor name
     * @param value its values
     */
    void defineConstant(String name, INDArray value) {
        constants.put(name, value);
    }

    /**
     * @param name a constant's tensor name
     * @return its values
     */
    INDArray constant(String name) {
        return constants.get(name);
    }

    /**
     * The constant a node takes as one of its inputs.
     *
     * @param node the node
     * @param i    the input position
     * @param role what the input is, e.g. "weights", for the error message
     * @return its values
     * @throws OnnxImportException when the input is not a constant
     */
    INDArray requireConstant(OnnxNode node, int i, String role) {
        String name = node.input(i);
        INDArray value = constants.get(name);
        if (value == null) {
            throw node.unsupported("its " + role + " (input " + i + ", '" + name
                    + "') must be a constant (an initialiser or a Constant node's output), but it is computed.");
        }
        return value;
    }

    /**
     * The shape of an activation a node takes as one of its inputs.
     *
     * @param node the node
     * @param i    the input position
     * @return the per-example shape
     * @throws OnnxImportException when the input is a constant or no imported node computes it
     */
    ActivationShape shape(OnnxNode node, int i) {
        String name = node.input(i);
        ActivationShape shape = shapes.get(name);
        if (shape == null) {
            throw node.unsupported(constants.containsKey(name)
                    ? "its input " + i + " ('" + name + "') is a constant where a computed tensor is expected."
                    : "its input " + i + " ('" + name + "') is neither the graph input nor computed by an earlier node.");
        }
        return shape;
    }

    /**
     * @param tensor an activation tensor name
     * @return its per-example shape, or null when no vertex computes it
     */
    ActivationShape shapeOf(String tensor) {
        return shapes.get(tensor);
    }

    /**
     * Adds a layer vertex.
     *
     * @param name   the vertex name (an ONNX tensor name, or one from {@link #helperName})
     * @param layer  the layer
     * @param shape  its output's per-example shape
     * @param inputs its input vertex names
     */
    void addLayer(String name, Layer layer, ActivationShape shape, String... inputs) {
        builder.addLayer(name, layer, inputs);
        shapes.put(name, shape);
    }

    /**
     * Adds a non-layer vertex.
     *
     * @param name   the vertex name
     * @param vertex the vertex
     * @param shape  its output's per-example shape
     * @param inputs its input vertex names
     */
    void addVertex(String name, GraphVertex vertex, ActivationShape shape, String... inputs) {
        builder.addVertex(name, vertex, inputs);
        shapes.put(name, shape);
    }

    /**
     * Makes a name for a vertex that computes an intermediate value no ONNX tensor holds (e.g. the zero padding
     * before a convolution with asymmetric padding).
     *
     * @param tensor the ONNX tensor the node computes
     * @param role   what the helper does, e.g. "zero_padding"
     * @return a name no tensor or vertex has
     */
    String helperName(String tensor, String role) {
        String name = tensor + "/" + role;
        for (int i = 2; reservedNames.contains(name) || shapes.containsKey(name); i++) {
            name = tensor + "/" + role + "_" + i;
        }
        reservedNames.add(name);
        return name;
    }

    /**
     * Records a parameter to load into a layer once the graph is initialised.
     *
     * @param vertex the layer's vertex name
     * @param key    the DL4J parameter key, e.g. {@code W}
     * @param value  the values, in the parameter's shape (or one that differs only by leading size-1 dimensions)
     */
    void param(String vertex, String key, INDArray value) {
        params.computeIfAbsent(vertex, v -> new LinkedHashMap<>()).put(key, value);
    }

    /** @return the parameters to load, by vertex and key */
    Map<String, Map<String, INDArray>> params() {
        return Collections.unmodifiableMap(params);
    }

    /**
     * Records that a tensor's values are never negative (so that zero padding before a max pooling is exact).
     *
     * @param tensor the tensor name
     */
    void markNonNegative(String tensor) {
        nonNegative.add(tensor);
    }

    /**
     * @param tensor a tensor name
     * @return whether its values are known never to be negative
     */
    boolean isNonNegative(String tensor) {
        return nonNegative.contains(tensor);
    }

    /**
     * @param tensor a tensor name
     * @return the nodes that read it
     */
    List<OnnxNode> consumers(String tensor) {
        return consumers.getOrDefault(tensor, new ArrayList<>());
    }

    /**
     * @param tensor a tensor name
     * @return whether it is an output of the ONNX graph
     */
    boolean isGraphOutput(String tensor) {
        return graphOutputs.contains(tensor);
    }

    /**
     * Marks a later node as already mapped (fused into an earlier one), so that the importer skips it.
     *
     * @param node the node
     */
    void markDone(OnnxNode node) {
        done.add(node);
    }

    /**
     * @param node a node
     * @return whether an earlier node's mapping already covered it
     */
    boolean isDone(OnnxNode node) {
        return done.contains(node);
    }
}
