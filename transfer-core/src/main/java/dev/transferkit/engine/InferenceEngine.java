package dev.transferkit.engine;

import dev.transferkit.core.Backend;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Objects;

/**
 * Fast inference for a frozen DL4J network: the part of a {@link ComputationGraph} that one vertex depends on,
 * compiled into a sequence of ND4J native operations ({@code conv2d}, {@code depthwise_conv2d}, {@code maxpool2d},
 * {@code avgpool2d}, {@code concat}, a matrix product for dense layers) with batch normalisation folded into the
 * preceding convolution, activations applied in place, 4-d activations kept in the faster layout
 * ({@link EngineOptions#layout()}) and activation buffers reused between operations and batches.
 *
 * <p>Its output equals DL4J's own {@code feedForward} activations of that vertex (to float rounding; the tests allow
 * 1e-4), in DL4J's layout. Vertices it does not support run through DL4J's implementation; {@link #report()} lists
 * them, and compilation logs them. Weights are read when compiling: folded convolutions keep a copy, the others share
 * the network's arrays, so compile again after changing the network's parameters.
 *
 * <pre>{@code
 * InferenceEngine engine = InferenceEngine.compile(graph, "block_13_expand_relu",
 *         new InputSpec(224, 224, 3, DataFormat.NHWC), EngineOptions.defaults());
 * INDArray features = engine.output(batch);   // [n, 14, 14, 576]
 * }</pre>
 *
 * <p>{@link #output} is synchronised: one batch runs at a time, as ND4J's operations already use every core.
 */
public final class InferenceEngine {
    static {
        Backend.configure();
    }

    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngine.class);

    private final String outputVertex;
    private final InputSpec input;
    private final EngineOptions options;
    private final EngineReport report;
    private final Program program;
    private final Executor executor;
    private final BufferPool pool;
    private final DataType dataType;

    private InferenceEngine(String outputVertex, InputSpec input, EngineOptions options, GraphCompiler.Result compiled,
                            DataType dataType) {
        this.outputVertex = outputVertex;
        this.input = input;
        this.options = options;
        this.report = compiled.report();
        this.program = compiled.program();
        this.dataType = dataType;
        this.pool = new BufferPool(dataType);
        this.executor = new Executor(program, pool);
    }

    /**
     * Compiles the part of a network that a vertex depends on.
     *
     * @param graph        an initialised network with one input; it is read, never changed
     * @param outputVertex the vertex whose activations {@link #output} returns, e.g. a feature layer
     * @param input        the network's input size and layout
     * @param options      layout, threads and fallback policy
     * @return the engine
     * @throws EngineException when the network has several inputs or no such vertex, DL4J cannot infer its shapes for
     *                         this input, or a vertex is unsupported and fallback is disabled
     */
    public static InferenceEngine compile(ComputationGraph graph, String outputVertex, InputSpec input, EngineOptions options) {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(outputVertex, "outputVertex");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(options, "options");
        EngineThreads.apply(options.threads());
        DataType dataType = graph.getConfiguration().getDataType();
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE && dataType != DataType.HALF) {
            throw new EngineException("The engine runs floating-point networks, but this one uses " + dataType + ".");
        }
        long start = System.nanoTime();
        GraphCompiler.Result compiled = new GraphCompiler(graph, outputVertex, input, options).compile();
        InferenceEngine engine = new InferenceEngine(outputVertex, input, options, compiled, dataType);
        EngineReport r = engine.report;
        LOG.info("Compiled {} vertices up to '{}' into {} native steps in {} ms ({} fused, {} through DL4J).",
                r.entries().size(), outputVertex, compiled.program().instructions().size(),
                (System.nanoTime() - start) / 1_000_000, r.count(EngineReport.Treatment.FUSED), r.fallbacks().size());
        for (EngineReport.Entry e : r.fallbacks()) {
            LOG.info("Engine fallback to DL4J: {}", e);
        }
        return engine;
    }

    /**
     * Compiles a whole {@link MultiLayerNetwork}, through DL4J's conversion to an equivalent {@link ComputationGraph}
     * ({@code toComputationGraph()}, which copies the parameters: compile again after changing the network).
     *
     * @param network an initialised network
     * @param input   its input size and layout
     * @param options layout, threads and fallback policy
     * @return an engine whose output is the network's output
     * @throws EngineException as {@link #compile(ComputationGraph, String, InputSpec, EngineOptions)}
     */
    public static InferenceEngine compile(MultiLayerNetwork network, InputSpec input, EngineOptions options) {
        Objects.requireNonNull(network, "network");
        ComputationGraph graph = network.toComputationGraph();
        return compile(graph, graph.getConfiguration().getNetworkOutputs().get(0), input, options);
    }

    /**
     * Runs a batch.
     *
     * @param batch preprocessed images, shaped {@code input.batchShape(n)}
     * @return the output vertex's activations in DL4J's layout, a new array
     * @throws EngineException when the batch has the wrong shape, or an operation fails (naming the vertex)
     */
    public synchronized INDArray output(INDArray batch) {
        Objects.requireNonNull(batch, "batch");
        if (!accepts(batch)) {
            long[] expected = input.batchShape((int) Math.max(1, batch.rank() > 0 ? batch.size(0) : 1));
            throw new EngineException("The engine for '" + outputVertex + "' expects batches shaped " + Arrays.toString(expected)
                    + " (" + input + "), but got " + Arrays.toString(batch.shape()) + ".");
        }
        INDArray x = batch.dataType() == dataType ? batch : batch.castTo(dataType);
        return executor.run(x);
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

    /**
     * Runs a batch several times and tells where the time goes.
     *
     * @param batch a batch, as for {@link #output}
     * @param runs  how many timed runs (after one untimed warm-up run)
     * @return milliseconds per run for each step, slowest first, as lines {@code "vertex  ms  operation"}
     */
    public synchronized String profile(INDArray batch, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("Profiling needs at least 1 run, but was asked for " + runs + ".");
        }
        output(batch);
        executor.timing(true);
        try {
            for (int i = 0; i < runs; i++) {
                output(batch);
            }
            long[] nanos = executor.timings();
            java.util.List<Integer> order = new java.util.ArrayList<>();
            long total = 0;
            for (int i = 0; i < nanos.length; i++) {
                order.add(i);
                total += nanos[i];
            }
            order.sort((a, b) -> Long.compare(nanos[b], nanos[a]));
            StringBuilder s = new StringBuilder(String.format(java.util.Locale.ROOT, "total %.1f ms per batch of %d%n",
                    total / 1e6 / runs, batch.size(0)));
            for (int i : order) {
                Program.Instruction ins = program.instructions().get(i);
                s.append(String.format(java.util.Locale.ROOT, "%-28s %8.2f ms  %s%n", ins.vertex(), nanos[i] / 1e6 / runs,
                        ins.step().describe()));
            }
            return s.toString();
        } finally {
            executor.timing(false);
        }
    }

    /** @return the bytes of activation memory the engine keeps for reuse between batches */
    public synchronized long bufferBytes() {
        return pool.bytes();
    }

    /**
     * Frees the activation memory kept for reuse now, rather than when the engine is garbage collected (ND4J memory is
     * off-heap, so the Java heap does not see it). The engine stays usable; the next batch allocates again.
     */
    public synchronized void releaseBuffers() {
        pool.clear();
    }

    /** @return what became of each vertex: native, fused, identity or DL4J fallback */
    public EngineReport report() {
        return report;
    }

    /** @return the vertex whose activations {@link #output} returns */
    public String outputVertex() {
        return outputVertex;
    }

    /** @return the input the engine was compiled for */
    public InputSpec inputSpec() {
        return input;
    }

    /** @return the options it was compiled with */
    public EngineOptions options() {
        return options;
    }

    /** @return the number of native steps, including layout conversions */
    public int steps() {
        return program.instructions().size();
    }

    @Override
    public String toString() {
        return "InferenceEngine(output=" + outputVertex + ", input=" + input + ", steps=" + steps() + ", " + options
                + ", vertices=" + report.entries().size() + ", fallbacks=" + report.fallbacks().size() + ")";
    }
}
