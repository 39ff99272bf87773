package dev.transferkit.extract;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.BatchMemory;
import dev.transferkit.engine.EngineException;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.model.BaseModel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a preprocessed image batch into one feature vector per image: runs the base network up to a chosen layer
 * and pools that layer's activations. The one place where images become features, shared by the
 * {@code FeatureExtractor} (transfer-extract) and the saved predictor, so both always compute the same numbers. A
 * pipeline can also compute several {@link FeatureTarget}s (layers and poolings) from one forward pass
 * ({@link #featuresAll}).
 *
 * <p>The frozen forward pass runs through the model's {@link dev.transferkit.engine.InferenceEngine} (see
 * {@link BaseModel#engine(String)}); when the engine is off or cannot compile the network, through DL4J's layers on a
 * copy of the network cut after the layer. Both give the same features to float rounding.
 */
public final class FeaturePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(FeaturePipeline.class);
    private final BaseModel model;
    private final List<FeatureTarget> targets;
    private final List<String> layers;
    private volatile ComputationGraph truncated;
    private volatile boolean engineFailed;

    /**
     * @param model   the base network
     * @param layer   a layer of {@code model}; activations are taken at its output
     * @param pooling how spatial activations become a vector
     * @throws TransferKitException when the model has no such layer
     */
    public FeaturePipeline(BaseModel model, String layer, Pooling pooling) {
        this(model, List.of(new FeatureTarget(Objects.requireNonNull(model, "model").requireLayer(layer),
                Objects.requireNonNull(pooling, "pooling"))));
    }

    /**
     * @param model   the base network
     * @param targets the layers and poolings to compute, at least one; {@link #layer()} and {@link #pooling()} are the
     *                first one's
     * @throws TransferKitException when the model lacks one of the layers, naming it and the layers the model has
     */
    public FeaturePipeline(BaseModel model, List<FeatureTarget> targets) {
        this.model = Objects.requireNonNull(model, "model");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("A feature pipeline needs at least one layer and pooling.");
        }
        this.targets = List.copyOf(targets);
        targets.forEach(t -> model.requireLayer(t.layer()));
        this.layers = targets.stream().map(FeatureTarget::layer).distinct().toList();
    }

    /**
     * Cuts a graph after a vertex: keeps the vertex and what feeds it, removes the rest. DL4J's own
     * {@code output(List<String> layers, ...)} leaves a workspace open for some inner layers, and running only the
     * needed part is also faster.
     */
    private static ComputationGraph truncate(ComputationGraph graph, List<String> layers) {
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.equals(layers)) {
            return graph;
        }
        Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
        Set<String> keep = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(layers);
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (keep.add(v)) {
                todo.addAll(inputs.getOrDefault(v, List.of()));
            }
        }
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(graph);
        for (String v : graph.getConfiguration().getVertices().keySet()) {
            if (!keep.contains(v) && !graph.getConfiguration().getNetworkInputs().contains(v)) {
                b.removeVertexAndConnections(v);
            }
        }
        return b.setOutputs(layers.toArray(new String[0])).build();
    }

    /** @return the base network */
    public BaseModel model() {
        return model;
    }

    /** @return the (first) layer whose activations are pooled */
    public String layer() {
        return targets.get(0).layer();
    }

    /** @return the (first) pooling */
    public Pooling pooling() {
        return targets.get(0).pooling();
    }

    /** @return every layer and pooling this pipeline computes, in order */
    public List<FeatureTarget> targets() {
        return targets;
    }

    /**
     * Computes pooled features.
     *
     * @param batch preprocessed images in the model's input layout
     * @return a c-ordered float array {@code [n, D]}
     */
    public INDArray features(INDArray batch) {
        return featuresAll(batch).get(0);
    }

    /**
     * Computes every target's pooled features from one forward pass.
     *
     * @param batch preprocessed images in the model's input layout
     * @return one c-ordered float array {@code [n, D_i]} per target, in {@link #targets()} order
     */
    public List<INDArray> featuresAll(INDArray batch) {
        Map<String, INDArray> activations = activationsAll(batch);
        List<INDArray> pooled = new java.util.ArrayList<>();
        for (FeatureTarget t : targets) {
            pooled.add(pool(activations.get(t.layer()), t.pooling(), model.inputSpec().format()));
        }
        for (INDArray a : activations.values()) {
            if (pooled.stream().allMatch(p -> !shares(a, p))) {
                a.close(); // off-heap memory: free it now rather than at a garbage collection
            }
        }
        return pooled;
    }

    /**
     * Frees an intermediate array's native memory now instead of when the garbage collector finds it (ND4J frees
     * native buffers only then, and a forward pass makes little heap garbage, so memory grew between collections),
     * unless the result still uses its memory.
     */
    private static boolean shares(INDArray intermediate, INDArray result) {
        return intermediate == result || result.isView() || !intermediate.closeable()
                || intermediate.data().underlyingDataBuffer() == result.data().underlyingDataBuffer();
    }

    /**
     * Computes the layer's activations, before pooling.
     *
     * @param batch preprocessed images in the model's input layout
     * @return the activations, in the network's layout
     */
    public INDArray activations(INDArray batch) {
        return activationsAll(batch).get(layer());
    }

    /**
     * Computes the activations of every target layer in one forward pass, before pooling.
     *
     * @param batch preprocessed images in the model's input layout
     * @return the activations by layer, in the network's layout
     */
    public Map<String, INDArray> activationsAll(INDArray batch) {
        Optional<InferenceEngine> engine = model.engine(layers);
        if (engine.isPresent() && !engineFailed && engine.get().accepts(batch)) {
            try {
                return engine.get().outputs(batch);
            } catch (EngineException e) {
                engineFailed = true;
                LOG.warn("The inference engine failed on {} of '{}'; DL4J's forward pass computes its features from now on: {}",
                        layers, model.name(), e.getMessage());
            }
        }
        ComputationGraph g = dl4jGraph();
        INDArray[] out;
        // Inside a batch's workspace (BatchMemory) DL4J must be given it for its outputs: it refuses to start while a
        // workspace it was not given is open.
        MemoryWorkspace batchMemory = Nd4j.getMemoryManager().getCurrentWorkspace();
        synchronized (g) {
            out = batchMemory != null && batchMemory.isScopeActive() ? g.output(false, batchMemory, batch) : g.output(false, batch);
        }
        Map<String, INDArray> result = new java.util.LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            result.put(layers.get(i), out[i]);
        }
        return result;
    }

    /** @return the network cut after the layers, for DL4J's own forward pass; made on first use */
    private ComputationGraph dl4jGraph() {
        ComputationGraph g = truncated;
        if (g == null) {
            synchronized (this) {
                if (truncated == null) {
                    try (var outside = BatchMemory.outside()) { // kept across batches
                        truncated = truncate(model.graph(), layers);
                    }
                }
                g = truncated;
            }
        }
        return g;
    }

    /**
     * Pools activations into vectors. Rank-2 activations (dense layers) pass through unchanged; rank-4 activations are
     * flattened (in the layout's own order, so NHWC flattening matches Keras' {@code Flatten}) or pooled over height
     * and width.
     *
     * @param act     activations, rank 2 or 4
     * @param pooling the pooling
     * @param format  the layout of rank-4 activations
     * @return a c-ordered float array {@code [n, D]}
     */
    static INDArray pool(INDArray act, Pooling pooling, DataFormat format) {
        INDArray out;
        if (act.rank() == 2) {
            out = act;
        } else if (act.rank() == 4) {
            int[] spatial = format == DataFormat.NHWC ? new int[]{1, 2} : new int[]{2, 3};
            out = switch (pooling) {
                case FLATTEN -> act.reshape('c', act.size(0), act.length() / act.size(0));
                case AVG -> act.mean(spatial);
                case MAX -> act.max(spatial);
                case AVG_MAX -> Nd4j.concat(1, act.mean(spatial), act.max(spatial));
            };
        } else {
            throw new TransferKitException("Activations of rank " + act.rank() + " (shape " + Arrays.toString(act.shape())
                    + ") cannot be pooled; choose a convolutional or dense layer.");
        }
        return out.castTo(DataType.FLOAT).dup('c');
    }

    @Override
    public String toString() {
        return targets.size() == 1
                ? "FeaturePipeline(model=" + model.name() + ", layer=" + layer() + ", pooling=" + pooling() + ")"
                : "FeaturePipeline(model=" + model.name() + ", targets=" + targets + ")";
    }
}
