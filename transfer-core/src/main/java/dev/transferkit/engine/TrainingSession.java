package dev.transferkit.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link GradientGraph} in ONNX Runtime: the training step (loss, probabilities and every trained parameter's
 * gradient, written into the parameter's DL4J gradient view) and, in a second session without the backward pass, the
 * forward pass for evaluation. The trained parameters' current values are copied from their DL4J views at every run;
 * parameters and gradients pass through off-heap buffers allocated once, so a step allocates only its outputs'
 * probabilities.
 */
public final class TrainingSession implements AutoCloseable {
    /**
     * What one run computed.
     *
     * @param loss          the loss summed over the batch
     * @param probabilities the output probabilities, [batch, classes]
     */
    public record Result(double loss, INDArray probabilities) {
    }

    private final GradientGraph graph;
    private final OrtSession step;
    private final OrtSession forward;
    private final List<GradientGraph.Param> trained = new ArrayList<>();
    private final List<INDArray> values = new ArrayList<>();
    private final List<INDArray> gradients = new ArrayList<>();
    private final Map<String, OnnxTensor> valueTensors = new HashMap<>();
    private final Map<String, OnnxTensor> gradientTensors = new HashMap<>();

    private TrainingSession(GradientGraph graph, OrtSession step, OrtSession forward) {
        this.graph = graph;
        this.step = step;
        this.forward = forward;
    }

    /**
     * Opens the two sessions.
     *
     * @param graph   the training graph
     * @param options threads and optimisation (the arena is what keeps a step's working memory from being allocated
     *                afresh)
     * @return the session
     * @throws EngineException when ONNX Runtime cannot load or refuses the graph
     */
    public static TrainingSession open(GradientGraph graph, EngineOptions options) {
        OrtSession step = OrtRuntime.session(graph.onnx(), options);
        OrtSession forward;
        try {
            forward = OrtRuntime.session(graph.forwardOnnx(), options);
        } catch (RuntimeException e) {
            closeQuietly(step);
            throw e;
        }
        TrainingSession s = new TrainingSession(graph, step, forward);
        try {
            OrtEnvironment env = OrtRuntime.environment();
            for (GradientGraph.Param p : graph.params()) {
                if (!p.trained()) {
                    continue;
                }
                INDArray v = Nd4j.createUninitialized(DataType.FLOAT, p.value().shape(), 'c');
                INDArray gr = Nd4j.createUninitialized(DataType.FLOAT, p.value().shape(), 'c');
                s.trained.add(p);
                s.values.add(v);
                s.gradients.add(gr);
                s.valueTensors.put(p.input(), OnnxTensor.createTensor(env, OrtSegment.floats(v), v.shape()));
                s.gradientTensors.put(p.output(), OnnxTensor.createTensor(env, OrtSegment.floats(gr), gr.shape()));
            }
        } catch (OrtException e) {
            s.close();
            throw new EngineException("ONNX Runtime could not wrap the training step's parameters: " + e.getMessage(), e);
        }
        return s;
    }

    /** @return the graph this session runs */
    public GradientGraph graph() {
        return graph;
    }

    /**
     * Computes a training step's loss, probabilities and gradients; the gradients are written into the trained
     * parameters' DL4J gradient views.
     *
     * @param x      the network's inputs, in DL4J's layout
     * @param labels the labels, [batch, classes]
     * @param masks  one array per {@link GradientGraph#masks()}, in order, in DL4J's layout
     * @return the loss and probabilities
     */
    public Result train(INDArray[] x, INDArray labels, INDArray[] masks) {
        Result r = run(step, x, labels, masks, true);
        for (int i = 0; i < trained.size(); i++) {
            trained.get(i).gradient().assign(gradients.get(i));
        }
        return r;
    }

    /**
     * Computes the loss and probabilities without gradients.
     *
     * @param x      the network's inputs, in DL4J's layout
     * @param labels the labels, [batch, classes]
     * @param masks  one array per {@link GradientGraph#masks()} (all ones for inference), in DL4J's layout
     * @return the loss and probabilities
     */
    public Result evaluate(INDArray[] x, INDArray labels, INDArray[] masks) {
        return run(forward, x, labels, masks, false);
    }

    private Result run(OrtSession session, INDArray[] x, INDArray labels, INDArray[] masks, boolean withGradients) {
        OrtEnvironment env = OrtRuntime.environment();
        Map<String, OnnxTensor> in = new HashMap<>();
        Map<String, OnnxTensor> owned = new HashMap<>();
        try {
            for (int i = 0; i < trained.size(); i++) {
                values.get(i).assign(trained.get(i).value());
            }
            in.putAll(valueTensors);
            for (int i = 0; i < x.length; i++) {
                owned.put(graph.inputs().get(i), tensor(env, x[i]));
            }
            owned.put(GradientGraph.LABELS, tensor(env, labels));
            for (int i = 0; i < masks.length; i++) {
                owned.put(graph.masks().get(i).input(), tensor(env, masks[i]));
            }
            in.putAll(owned);
            INDArray probabilities = Nd4j.createUninitialized(DataType.FLOAT, labels.shape(), 'c');
            Map<String, OnnxTensor> pinned = new HashMap<>();
            OnnxTensor p = OnnxTensor.createTensor(env, OrtSegment.floats(probabilities), probabilities.shape());
            owned.put(GradientGraph.PROBABILITIES, p);
            pinned.put(GradientGraph.PROBABILITIES, p);
            if (withGradients) {
                pinned.putAll(gradientTensors);
            }
            try (OrtSession.Result r = session.run(in, java.util.Set.of(GradientGraph.LOSS), pinned)) {
                double loss = ((OnnxTensor) r.get(GradientGraph.LOSS).orElseThrow()).getFloatBuffer().get(0);
                return new Result(loss, probabilities);
            }
        } catch (OrtException e) {
            throw new EngineException("ONNX Runtime failed on the training step: " + e.getMessage(), e);
        } finally {
            owned.values().forEach(OnnxTensor::close);
        }
    }

    /** Wraps an array's memory (as a C-ordered float copy when it is not one already). */
    private static OnnxTensor tensor(OrtEnvironment env, INDArray x) throws OrtException {
        INDArray f = OrtSegment.contiguous(x);
        return OnnxTensor.createTensor(env, OrtSegment.floats(f), f.shape());
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException ignored) {
            // closing a session that failed to start: nothing to keep
        }
    }

    /** Releases both sessions and the parameter buffers' tensors. */
    @Override
    public void close() {
        valueTensors.values().forEach(OnnxTensor::close);
        gradientTensors.values().forEach(OnnxTensor::close);
        closeQuietly(step);
        closeQuietly(forward);
    }
}
