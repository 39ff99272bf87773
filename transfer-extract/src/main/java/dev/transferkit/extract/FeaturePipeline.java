package dev.transferkit.extract;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.EngineException;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.Pooling;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.api.buffer.DataType;
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
 * {@link FeatureExtractor} and the saved predictor, so both always compute the same numbers.
 *
 * <p>The frozen forward pass runs through the model's {@link dev.transferkit.engine.InferenceEngine} (see
 * {@link BaseModel#engine(String)}); when the engine is off or cannot compile the network, through DL4J's layers on a
 * copy of the network cut after the layer. Both give the same features to float rounding.
 */
public final class FeaturePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(FeaturePipeline.class);
    private final BaseModel model;
    private final String layer;
    private final Pooling pooling;
    private volatile ComputationGraph truncated;
    private volatile boolean engineFailed;

    /**
     * @param model   the base network
     * @param layer   a layer of {@code model}; activations are taken at its output
     * @param pooling how spatial activations become a vector
     * @throws TransferKitException when the model has no such layer
     */
    public FeaturePipeline(BaseModel model, String layer, Pooling pooling) {
        this.model = Objects.requireNonNull(model, "model");
        this.layer = model.requireLayer(layer);
        this.pooling = Objects.requireNonNull(pooling, "pooling");
    }

    /**
     * Cuts a graph after a vertex: keeps the vertex and what feeds it, removes the rest. DL4J's own
     * {@code output(List<String> layers, ...)} leaves a workspace open for some inner layers, and running only the
     * needed part is also faster.
     */
    private static ComputationGraph truncate(ComputationGraph graph, String layer) {
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.size() == 1 && outputs.get(0).equals(layer)) {
            return graph;
        }
        Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
        Set<String> keep = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(layer));
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
        return b.setOutputs(layer).build();
    }

    /** @return the base network */
    public BaseModel model() {
        return model;
    }

    /** @return the layer whose activations are pooled */
    public String layer() {
        return layer;
    }

    /** @return the pooling */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * Computes pooled features.
     *
     * @param batch preprocessed images in the model's input layout
     * @return a c-ordered float array {@code [n, D]}
     */
    public INDArray features(INDArray batch) {
        INDArray activations = activations(batch);
        INDArray pooled = pool(activations, pooling, model.inputSpec().format());
        release(activations, pooled);
        return pooled;
    }

    /**
     * Frees an intermediate array's native memory now instead of when the garbage collector finds it (ND4J frees
     * native buffers only then, and a forward pass makes little heap garbage, so memory grew between collections),
     * unless the result still uses its memory.
     */
    private static void release(INDArray intermediate, INDArray result) {
        boolean shared = intermediate == result || result.isView()
                || intermediate.data().underlyingDataBuffer() == result.data().underlyingDataBuffer();
        if (!shared && intermediate.closeable()) {
            intermediate.close();
        }
    }

    /**
     * Computes the layer's activations, before pooling.
     *
     * @param batch preprocessed images in the model's input layout
     * @return the activations, in the network's layout
     */
    public INDArray activations(INDArray batch) {
        Optional<InferenceEngine> engine = model.engine(layer);
        if (engine.isPresent() && !engineFailed && engine.get().accepts(batch)) {
            try {
                return engine.get().output(batch);
            } catch (EngineException e) {
                engineFailed = true;
                LOG.warn("The inference engine failed on '{}' of '{}'; DL4J's forward pass computes its features from now on: {}",
                        layer, model.name(), e.getMessage());
            }
        }
        ComputationGraph g = dl4jGraph();
        synchronized (g) {
            return g.outputSingle(false, batch);
        }
    }

    /** @return the network cut after the layer, for DL4J's own forward pass; made on first use */
    private ComputationGraph dl4jGraph() {
        ComputationGraph g = truncated;
        if (g == null) {
            synchronized (this) {
                if (truncated == null) {
                    truncated = truncate(model.graph(), layer);
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
        return "FeaturePipeline(model=" + model.name() + ", layer=" + layer + ", pooling=" + pooling + ")";
    }
}
