package dev.transferkit.engine;

import dev.transferkit.core.Backend;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Fast inference for a frozen DL4J network in ONNX Runtime: the part of a {@link ComputationGraph} that one or more
 * vertices depend on is exported to ONNX in memory (convolutions of every kind, batch normalisation, the activations
 * DL4J's imports produce, pooling, dense layers, element-wise and merge vertices, padding, cropping, flattening
 * preprocessors, local response normalisation; NCHW and NHWC networks) and run in an ONNX Runtime session, whose
 * optimiser fuses batch normalisation and activations into the convolutions and picks blocked layouts.
 *
 * <p>Its outputs equal DL4J's own activations of those vertices (to float rounding; the tests allow 1e-4), in DL4J's
 * layout. A vertex that cannot be exported runs through DL4J between ONNX segments; {@link #report()} lists it, and
 * compilation logs it. Weights are copied into the ONNX model when compiling, so compile again after changing the
 * network's parameters. Where ONNX Runtime cannot load on the platform, {@link #compile} throws an
 * {@link EngineException} (and the platform is named once in the log), so callers run DL4J instead.
 *
 * <pre>{@code
 * try (InferenceEngine engine = InferenceEngine.compile(graph, "block_13_expand_relu",
 *         new InputSpec(224, 224, 3, DataFormat.NHWC), EngineOptions.defaults())) {
 *     INDArray features = engine.output(batch);   // [n, 14, 14, 576]
 * }
 * }</pre>
 *
 * <p>{@link #output} is synchronised: one batch runs at a time, as ONNX Runtime already uses every core.
 */
public final class InferenceEngine implements AutoCloseable {
    static {
        Backend.configure();
    }

    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngine.class);

    private final List<String> outputs;
    private final InputSpec input;
    private final EngineOptions options;
    private final EngineReport report;
    private final String networkInput;
    private final DataType dataType;
    /** Per stage: an {@link OrtSegment} or a {@link FallbackStep}. */
    private final List<Object> stages;
    /** Per stage: the values whose last reader it is, freed after it runs. */
    private final List<List<String>> freeAfter;
    private boolean closed;

    private InferenceEngine(List<String> outputs, InputSpec input, EngineOptions options, OnnxExport.Result exported,
                            ComputationGraph graph) {
        this(outputs, input, options, exported.report(), graph.getConfiguration().getNetworkInputs().get(0),
                graph.getConfiguration().getDataType(), exported.stages().stream().map(OnnxExport.Stage::inputs).toList(),
                stages -> {
                    for (OnnxExport.Stage s : exported.stages()) {
                        stages.add(s.isOnnx() ? new OrtSegment(s, options) : new FallbackStep(graph, s.vertices().get(0),
                                s.inputs().stream().map(OnnxExport.Boundary::vertex).toList()));
                    }
                });
    }

    /**
     * @param stageInputs per stage, the values it reads (for freeing each value after its last reader)
     * @param opener      adds the stages to the list it is given; on failure the stages added so far are closed
     */
    private InferenceEngine(List<String> outputs, InputSpec input, EngineOptions options, EngineReport report,
                            String networkInput, DataType dataType, List<List<OnnxExport.Boundary>> stageInputs,
                            java.util.function.Consumer<List<Object>> opener) {
        this.outputs = List.copyOf(outputs);
        this.input = input;
        this.options = options;
        this.report = report;
        this.networkInput = networkInput;
        this.dataType = dataType;
        this.stages = new ArrayList<>();
        try {
            opener.accept(stages);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < stageInputs.size(); i++) {
            for (OnnxExport.Boundary b : stageInputs.get(i)) {
                lastUse.put(b.vertex(), i);
            }
        }
        this.freeAfter = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            freeAfter.add(new ArrayList<>());
        }
        Set<String> keep = new HashSet<>(outputs);
        keep.add(networkInput);
        lastUse.forEach((v, i) -> {
            if (!keep.contains(v)) {
                freeAfter.get(i).add(v);
            }
        });
    }

    /**
     * Compiles the part of a network that a vertex depends on.
     *
     * @param graph        an initialised network with one input; it is read, never changed
     * @param outputVertex the vertex whose activations {@link #output} returns, e.g. a feature layer
     * @param input        the network's input size and layout
     * @param options      threads, optimisation, device and fallback policy
     * @return the engine
     * @throws EngineException when ONNX Runtime cannot load, the network has several inputs or no such vertex, DL4J
     *                         cannot infer its shapes for this input, or a vertex cannot be exported and fallback is
     *                         disabled
     */
    public static InferenceEngine compile(ComputationGraph graph, String outputVertex, InputSpec input, EngineOptions options) {
        Objects.requireNonNull(outputVertex, "outputVertex");
        return compile(graph, List.of(outputVertex), input, options);
    }

    /**
     * Compiles the part of a network that several vertices depend on, to compute them all in one pass.
     *
     * @param graph         an initialised network with one input; it is read, never changed
     * @param outputVertices the vertices whose activations {@link #outputs} returns
     * @param input         the network's input size and layout
     * @param options       threads, optimisation, device and fallback policy
     * @return the engine
     * @throws EngineException as {@link #compile(ComputationGraph, String, InputSpec, EngineOptions)}
     */
    public static InferenceEngine compile(ComputationGraph graph, List<String> outputVertices, InputSpec input,
                                          EngineOptions options) {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(outputVertices, "outputVertices");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(options, "options");
        OrtRuntime.environment();
        DataType dataType = graph.getConfiguration().getDataType();
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE && dataType != DataType.HALF) {
            throw new EngineException("The engine runs floating-point networks, but this one uses " + dataType + ".");
        }
        List<String> targets = List.copyOf(new java.util.LinkedHashSet<>(outputVertices));
        long start = System.nanoTime();
        OnnxExport.Result exported = new OnnxExport(graph, targets, input, options.allowFallback()).export();
        InferenceEngine engine = new InferenceEngine(targets, input, options, exported, graph);
        EngineReport r = engine.report;
        LOG.info("Exported {} vertices up to {} into {} ONNX segment(s) in {} ms ({} through DL4J).",
                r.entries().size(), targets, exported.stages().stream().filter(OnnxExport.Stage::isOnnx).count(),
                (System.nanoTime() - start) / 1_000_000, r.fallbacks().size());
        for (EngineReport.Entry e : r.fallbacks()) {
            LOG.info("Engine fallback to DL4J: {}", e);
        }
        return engine;
    }

    /**
     * Compiles the part of an ONNX model that some of its tensors depend on, to run the model's own graph in ONNX
     * Runtime. Outputs come back as the model computes them (NCHW for torchvision's models), as float arrays.
     *
     * @param model   the model
     * @param tensors tensors of its graph, e.g. a block's output or the pooled vector before the classifier
     * @param input   the input size and layout to compile for; the model's own input must be compatible with it
     * @param options threads, optimisation and device (fallback does not apply: nothing leaves ONNX Runtime)
     * @return the engine
     * @throws dev.transferkit.onnx.OnnxModelException when a tensor is not in the model
     * @throws EngineException when ONNX Runtime cannot load or refuses the model
     */
    public static InferenceEngine compile(dev.transferkit.onnx.OnnxModel model, List<String> tensors, InputSpec input,
                                          EngineOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(options, "options");
        OrtRuntime.environment();
        List<String> targets = List.copyOf(new java.util.LinkedHashSet<>(tensors));
        long start = System.nanoTime();
        long[] shape = input.batchShape(1);
        shape[0] = -1;
        try (dev.transferkit.onnx.OnnxModel.Cut cut = model.cut(targets, shape)) {
            long[] perExample = Arrays.copyOfRange(input.batchShape(1), 1, 4);
            OnnxExport.Boundary in = new OnnxExport.Boundary(model.inputName(), model.inputName(), perExample);
            List<EngineReport.Entry> entries = new ArrayList<>();
            cut.nodes().forEach(n -> entries.add(new EngineReport.Entry(
                    n.getOutputCount() > 0 ? n.getOutput(0) : n.getName(), n.getOpType(), EngineReport.Treatment.ONNX,
                    "the model's own node")));
            InferenceEngine engine = new InferenceEngine(targets, input, options,
                    new EngineReport(targets.get(0), entries, 0), model.inputName(), DataType.FLOAT, List.of(List.of(in)),
                    stages -> stages.add(OrtSegment.ofModel(cut.file(), in, targets, options)));
            LOG.info("Opened {} nodes of the ONNX model {} up to {} in {} ms.", entries.size(), model.file(), targets,
                    (System.nanoTime() - start) / 1_000_000);
            return engine;
        }
    }

    /**
     * Compiles a whole {@link MultiLayerNetwork}, through DL4J's conversion to an equivalent {@link ComputationGraph}
     * ({@code toComputationGraph()}, which copies the parameters: compile again after changing the network).
     *
     * @param network an initialised network
     * @param input   its input size and layout
     * @param options threads, optimisation, device and fallback policy
     * @return an engine whose output is the network's output
     * @throws EngineException as {@link #compile(ComputationGraph, String, InputSpec, EngineOptions)}
     */
    public static InferenceEngine compile(MultiLayerNetwork network, InputSpec input, EngineOptions options) {
        Objects.requireNonNull(network, "network");
        ComputationGraph graph = network.toComputationGraph();
        return compile(graph, graph.getConfiguration().getNetworkOutputs().get(0), input, options);
    }

    /**
     * Tells whether ONNX Runtime can run on this platform; when it cannot, the reason is logged once.
     *
     * @return whether engines can be compiled here
     */
    public static boolean available() {
        return OrtRuntime.available();
    }

    /**
     * Runs a batch through an engine with one output vertex (the first one when it has several).
     *
     * @param batch preprocessed images, shaped {@code input.batchShape(n)}
     * @return the output vertex's activations in DL4J's layout and data type, a new array
     * @throws EngineException when the batch has the wrong shape, or a stage fails (naming it)
     */
    public INDArray output(INDArray batch) {
        return outputs(batch).get(outputs.get(0));
    }

    /**
     * Runs a batch and returns every output vertex's activations, computed in one pass.
     *
     * @param batch preprocessed images, shaped {@code input.batchShape(n)}
     * @return the activations by vertex, in the order the vertices were given, each a new array in DL4J's layout
     * @throws EngineException when the batch has the wrong shape, the engine is closed, or a stage fails
     */
    public synchronized Map<String, INDArray> outputs(INDArray batch) {
        Objects.requireNonNull(batch, "batch");
        if (closed) {
            throw new EngineException("The engine for " + outputs + " is closed.");
        }
        if (!accepts(batch)) {
            long[] expected = input.batchShape((int) Math.max(1, batch.rank() > 0 ? batch.size(0) : 1));
            throw new EngineException("The engine for " + outputs + " expects batches shaped " + Arrays.toString(expected)
                    + " (" + input + "), but got " + Arrays.toString(batch.shape()) + ".");
        }
        Map<String, INDArray> values = new HashMap<>();
        values.put(networkInput, batch);
        for (int i = 0; i < stages.size(); i++) {
            Object stage = stages.get(i);
            if (stage instanceof OrtSegment s) {
                s.run(values);
            } else {
                ((FallbackStep) stage).run(values);
            }
            for (String v : freeAfter.get(i)) {
                INDArray x = values.remove(v);
                if (x != null && x != batch) {
                    x.close(); // off-heap memory: free it now rather than at a garbage collection
                }
            }
        }
        Map<String, INDArray> result = new LinkedHashMap<>();
        INDArray converted = values.get(networkInput); // the batch, or a float / C-order copy made for ONNX Runtime
        for (String v : outputs) {
            INDArray x = values.get(v);
            if (x == batch || x == converted) {
                x = x.dup('c');
            }
            INDArray y = x.dataType() == dataType ? x : x.castTo(dataType);
            if (y != x) {
                x.close();
            }
            result.put(v, y);
        }
        if (converted != batch && converted != null) {
            converted.close(); // off-heap memory: free it now rather than at a garbage collection
        }
        return result;
    }

    /**
     * Tells whether a batch has the shape this engine was compiled for.
     *
     * @param batch a batch
     * @return whether it is 4-d, non-empty and shaped {@code input.batchShape(n)}
     */
    public boolean accepts(INDArray batch) {
        if (batch == null || batch.rank() != 4 || batch.size(0) < 1) {
            return false;
        }
        long[] expected = input.batchShape(1);
        return Arrays.equals(Arrays.copyOfRange(batch.shape(), 1, 4), Arrays.copyOfRange(expected, 1, 4));
    }

    /** @return what became of each vertex: exported to ONNX, identity, or DL4J fallback */
    public EngineReport report() {
        return report;
    }

    /** @return the first (or only) vertex whose activations {@link #output} returns */
    public String outputVertex() {
        return outputs.get(0);
    }

    /** @return every output vertex, in order */
    public List<String> outputVertices() {
        return outputs;
    }

    /** @return the input the engine was compiled for */
    public InputSpec inputSpec() {
        return input;
    }

    /** @return the options it was compiled with */
    public EngineOptions options() {
        return options;
    }

    /** @return the number of stages: ONNX Runtime segments and DL4J vertices between them */
    public int stages() {
        return stages.size();
    }

    /** Closes the ONNX Runtime sessions and frees their memory; the engine cannot run afterwards. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Object s : stages) {
            if (s instanceof OrtSegment o) {
                o.close();
            }
        }
    }

    @Override
    public String toString() {
        return "InferenceEngine(outputs=" + outputs + ", input=" + input + ", stages=" + stages.size() + ", " + options
                + ", vertices=" + report.entries().size() + ", fallbacks=" + report.fallbacks().size() + ")";
    }
}
