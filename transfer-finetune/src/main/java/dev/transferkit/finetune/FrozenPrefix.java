package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.engine.EngineException;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A phase network split at its freeze boundary. The frozen prefix (every frozen layer, what it depends on, and the
 * parameter-free vertices that only read it) runs forward in inference mode in the inference engine (ONNX Runtime),
 * computing only the boundary values the rest reads and keeping nothing for back-propagation. The rest, the
 * unfrozen layers and the new head, is a DL4J network of its own ({@link #tail()}) whose inputs are those values, and
 * is what gets trained; its parameters are copies, so copy them back into the phase network after training.
 */
final class FrozenPrefix implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FrozenPrefix.class);

    private final ComputationGraph network;
    private final Set<String> prefix;
    private final ComputationGraph tail;
    private final List<String> boundary;
    private final Function<INDArray, INDArray[]> forward;
    private final InferenceEngine engine;

    private FrozenPrefix(ComputationGraph network, Set<String> prefix, ComputationGraph tail, List<String> boundary,
                         Function<INDArray, INDArray[]> forward, InferenceEngine engine) {
        this.network = network;
        this.prefix = prefix;
        this.tail = tail;
        this.boundary = boundary;
        this.forward = forward;
        this.engine = engine;
    }

    /**
     * Splits a phase network.
     *
     * @param network      the phase network (frozen layers wrapped by DL4J's transfer learning)
     * @param frozenLayers its frozen layers
     * @param input        its input size and layout
     * @return the split; close it to free the prefix's inference session
     */
    static FrozenPrefix split(ComputationGraph network, Set<String> frozenLayers, InputSpec input) {
        GraphSurgery surgery = new GraphSurgery(network);
        Set<String> prefix = surgery.frozenPrefix(frozenLayers);
        List<String> boundary = surgery.boundary(prefix);
        ComputationGraph tail = surgery.tail(prefix, boundary);
        if (prefix.isEmpty()) {
            return new FrozenPrefix(network, prefix, tail, boundary, null, null);
        }
        InferenceEngine engine = null;
        Function<INDArray, INDArray[]> forward;
        if (InferenceEngine.available() && EngineOptions.enabledBySystemProperty()) {
            try {
                engine = InferenceEngine.compile(network, boundary, input, EngineOptions.defaults());
            } catch (EngineException e) {
                LOG.warn("The inference engine cannot run the frozen prefix ({}), so DL4J's slower forward pass does: {}",
                        boundary, e.getMessage());
            }
        }
        if (engine != null) {
            InferenceEngine e = engine;
            forward = x -> e.outputs(x).values().toArray(INDArray[]::new);
        } else {
            forward = x -> {
                synchronized (network) {
                    Map<String, INDArray> acts = network.feedForward(x, false);
                    return boundary.stream().map(v -> acts.get(v).dup()).toArray(INDArray[]::new);
                }
            };
        }
        LOG.info("Training {} of {} parameters: the frozen prefix ({} vertices) runs in inference mode up to {}.",
                tail.numParams(), network.numParams(), prefix.size(), boundary);
        return new FrozenPrefix(network, prefix, tail, boundary, forward, engine);
    }

    /** @return the trainable part, a network whose inputs are {@link #boundary()} */
    ComputationGraph tail() {
        return tail;
    }

    /** @return the values the tail reads: the network input when nothing is frozen */
    List<String> boundary() {
        return boundary;
    }

    /**
     * Runs the frozen prefix on a batch of images.
     *
     * @param images a preprocessed batch
     * @return the boundary values of the batch, one array per {@link #boundary()} value; the images themselves when
     *         nothing is frozen
     */
    INDArray[] forward(INDArray images) {
        return forward == null ? new INDArray[]{images} : forward.apply(images);
    }

    /**
     * The tail's inputs for the images of two splits.
     *
     * @param train        the training images
     * @param validation   the validation images, or null
     * @param augmentation applied to training images only
     * @param batchSize    images per forward pass when computing cached prefix activations
     * @param cacheDir     where the cached prefix activations are kept for a resumed run to reuse (a checkpoint
     *                     directory's), or null to keep them in a temporary directory deleted when the source is closed
     * @param run          the run's fingerprint, which the kept caches must match; null when {@code cacheDir} is
     * @param phase        the training phase, 1 or 2
     * @return the images themselves when nothing is frozen, else the prefix's activations (computed once into a cache
     *         on disk when there is no augmentation, per batch when there is); close it when done
     * @throws TransferKitIOException when the temporary directory cannot be created
     */
    FeatureSource source(ImageSet train, ImageSet validation, Augmentation augmentation, int batchSize, Path cacheDir,
                         RunFingerprint run, int phase) {
        if (forward == null) {
            return FeatureSource.images(train, validation, augmentation);
        }
        if (cacheDir != null) {
            return FeatureSource.prefixed(forward, train, validation, augmentation,
                    new BoundaryCache.Key(run, phase, boundary, prefixDigest(), batchSize), cacheDir, false);
        }
        Path temporary;
        try {
            temporary = Files.createTempDirectory("transferkit-boundary-cache-");
        } catch (IOException e) {
            throw new TransferKitIOException("Could not create a temporary directory for the frozen prefix's activations in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
        return FeatureSource.prefixed(forward, train, validation, augmentation,
                new BoundaryCache.Key(null, phase, boundary, null, batchSize), temporary, true);
    }

    /**
     * @return the forward pass that computes the prefix (the inference engine or DL4J) and a hash of the frozen
     *         prefix's parameters, batch-normalisation statistics included
     */
    private String prefixDigest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime.", e);
        }
        for (String name : new TreeSet<>(prefix)) {
            GraphVertex v = network.getVertex(name);
            if (v.hasLayer() && v.getLayer().numParams() > 0) {
                md.update(name.getBytes(StandardCharsets.UTF_8));
                md.update(v.getLayer().params().dup('c').data().asNio());
            }
        }
        return (engine != null ? "onnxruntime" : "dl4j") + " sha256:" + HexFormat.of().formatHex(md.digest());
    }

    @Override
    public void close() {
        if (engine != null) {
            engine.close();
        }
    }
}
