package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution2D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Exports the part of a DL4J {@link ComputationGraph} that the requested vertices depend on to ONNX, for ONNX Runtime.
 *
 * <p>Vertices are taken in DL4J's topological order. Maximal runs of exportable vertices become ONNX segments; a vertex
 * that cannot be exported becomes a DL4J stage of its own between them. Values that cross a stage boundary are in
 * DL4J's own layout (so DL4J stages and callers see exactly what DL4J would produce); inside a segment every image
 * activation is NCHW, the layout ONNX's operators use, with one transpose where an NHWC value enters or leaves. Batch
 * normalisation, convolution bias and clipped activations are written as separate ONNX nodes that ONNX Runtime's graph
 * optimiser fuses into the convolutions.
 */
final class OnnxExport {
    /**
     * One stage of an exported network.
     *
     * @param onnx     the serialised ONNX segment, or null for a DL4J stage
     * @param vertices the DL4J vertices the stage computes, in order
     * @param inputs   values the stage reads (vertex names; the network input is named as DL4J names it)
     * @param outputs  values the stage produces that later stages or the caller need
     */
    record Stage(byte[] onnx, List<String> vertices, List<Boundary> inputs, List<Boundary> outputs) {
        boolean isOnnx() {
            return onnx != null;
        }
    }

    /**
     * A value that crosses a stage boundary, in DL4J's layout.
     *
     * @param vertex     the DL4J vertex that produces it
     * @param tensor     its tensor name in the ONNX segment (the vertex name for DL4J stages)
     * @param perExample its shape for one example
     */
    record Boundary(String vertex, String tensor, long[] perExample) {
    }

    /** The stages, the report of what became of each vertex, and the convolution and dense FLOPs per example. */
    record Result(List<Stage> stages, EngineReport report) {
    }

    /** A tensor inside a segment: its name, and for image activations DL4J's layout of the vertex (inside: NCHW). */
    private record Value(String tensor, DataFormat dl4jLayout) {
        boolean image() {
            return dl4jLayout != null;
        }
    }

    private final ComputationGraph graph;
    private final ComputationGraphConfiguration conf;
    private final List<String> targets;
    private final InputSpec input;
    private final boolean allowFallback;
    private final Map<String, EngineReport.Entry> entries = new LinkedHashMap<>();
    private Map<String, InputType> types;
    private long flops;

    OnnxExport(ComputationGraph graph, List<String> targets, InputSpec input, boolean allowFallback) {
        this.graph = graph;
        this.conf = graph.getConfiguration();
        this.targets = List.copyOf(targets);
        this.input = input;
        this.allowFallback = allowFallback;
    }

    Result export() {
        List<String> networkInputs = conf.getNetworkInputs();
        if (networkInputs.size() != 1) {
            throw new EngineException("The engine runs networks with one input, but this one has " + networkInputs.size()
                    + ": " + networkInputs + ".");
        }
        if (targets.isEmpty()) {
            throw new EngineException("The engine needs at least one output vertex.");
        }
        for (String t : targets) {
            if (!conf.getVertices().containsKey(t) && !networkInputs.contains(t)) {
                throw new EngineException("The network has no vertex named '" + t + "'. Its vertices are: "
                        + new java.util.TreeSet<>(conf.getVertices().keySet()) + ".");
            }
        }
        InputType inType = InputType.convolutional(input.height(), input.width(), input.channels(),
                CNN2DFormat.valueOf(input.format().name()));
        try {
            types = new HashMap<>(conf.getLayerActivationTypes(inType));
        } catch (RuntimeException e) {
            throw new EngineException("DL4J cannot infer the activation shapes of this network for the input " + input
                    + ": " + e.getMessage(), e);
        }
        types.put(networkInputs.get(0), inType);
        Set<String> needed = ancestors();
        List<String> order = conf.getTopologicalOrderStr().stream()
                .filter(v -> needed.contains(v) && !networkInputs.contains(v)).toList();

        // Pass 1: which vertices export, and the stages (runs of exportable vertices, single DL4J vertices).
        List<List<String>> groups = new ArrayList<>();
        List<Boolean> onnx = new ArrayList<>();
        Map<String, Integer> stageOf = new HashMap<>();
        stageOf.put(networkInputs.get(0), -1);
        for (String v : order) {
            String reason = unsupported(v);
            if (reason != null) {
                if (!allowFallback) {
                    throw new EngineException("The engine cannot export the vertex '" + v + "' (" + kind(v) + ") to ONNX: "
                            + reason + ". Allow DL4J fallback (EngineOptions.optAllowFallback(true)) to run it through DL4J.");
                }
                entries.put(v, new EngineReport.Entry(v, kind(v), EngineReport.Treatment.DL4J_FALLBACK, reason));
                groups.add(new ArrayList<>(List.of(v)));
                onnx.add(false);
            } else {
                if (groups.isEmpty() || !onnx.get(onnx.size() - 1)) {
                    groups.add(new ArrayList<>());
                    onnx.add(true);
                }
                groups.get(groups.size() - 1).add(v);
            }
            stageOf.put(v, groups.size() - 1);
        }

        // Pass 2: which values leave their stage, then each stage.
        Set<String> leaving = new LinkedHashSet<>(targets);
        for (String v : order) {
            for (String in : conf.getVertexInputs().get(v)) {
                if (!stageOf.get(in).equals(stageOf.get(v))) {
                    leaving.add(in);
                }
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            List<String> group = groups.get(i);
            if (onnx.get(i)) {
                stages.add(segment(i, group, stageOf, leaving));
            } else {
                String v = group.get(0);
                List<Boundary> ins = conf.getVertexInputs().get(v).stream().map(this::boundary).toList();
                stages.add(new Stage(null, group, ins, List.of(boundary(v))));
            }
        }
        List<EngineReport.Entry> ordered = order.stream().map(entries::get).toList();
        return new Result(stages, new EngineReport(String.join(",", targets), ordered, flops));
    }

    private Boundary boundary(String vertex) {
        return new Boundary(vertex, vertex, perExample(vertex));
    }

    private Set<String> ancestors() {
        Set<String> keep = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(targets);
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (keep.add(v)) {
                todo.addAll(conf.getVertexInputs().getOrDefault(v, List.of()));
            }
        }
        return keep;
    }

    // ---------------------------------------------------------------- a segment

    private Stage segment(int index, List<String> group, Map<String, Integer> stageOf, Set<String> leaving) {
        OnnxGraph g = new OnnxGraph("transferkit_segment_" + index);
        Map<String, Value> values = new HashMap<>();
        List<Boundary> ins = new ArrayList<>();
        for (String v : group) {
            List<Value> args = new ArrayList<>();
            for (String in : conf.getVertexInputs().get(v)) {
                Value val = values.get(in);
                if (val == null) {
                    Boundary b = new Boundary(in, g.fresh("in:" + in), perExample(in));
                    g.input(b.tensor(), b.perExample());
                    ins.add(b);
                    DataFormat f = dl4jLayout(in);
                    String t = f == DataFormat.NHWC ? transpose(g, b.tensor(), in, 0, 3, 1, 2) : b.tensor();
                    val = new Value(t, f);
                    values.put(in, val);
                }
                args.add(val);
            }
            values.put(v, emit(g, v, args));
        }
        List<Boundary> outs = new ArrayList<>();
        for (String v : group) {
            if (leaving.contains(v)) {
                Value val = values.get(v);
                String t = val.dl4jLayout() == DataFormat.NHWC
                        ? transpose(g, val.tensor(), "out:" + v, 0, 2, 3, 1)
                        : g.node("Identity", "out:" + v, new String[]{val.tensor()});
                Boundary b = new Boundary(v, t, perExample(v));
                g.output(t, b.perExample());
                outs.add(b);
            }
        }
        return new Stage(g.toBytes(), group, ins, outs);
    }

    private static String transpose(OnnxGraph g, String x, String hint, long... perm) {
        return g.node("Transpose", hint + ":t", new String[]{x}, OnnxGraph.attr("perm", perm));
    }

    /** @return the shape of one example of a vertex's activations in DL4J's layout */
    private long[] perExample(String vertex) {
        InputType t = types.get(vertex);
        if (t instanceof InputType.InputTypeConvolutional c) {
            return c.getFormat() == CNN2DFormat.NHWC ? new long[]{c.getHeight(), c.getWidth(), c.getChannels()}
                    : new long[]{c.getChannels(), c.getHeight(), c.getWidth()};
        }
        if (t instanceof InputType.InputTypeFeedForward f) {
            return new long[]{f.getSize()};
        }
        return t.getShape(false);
    }

    /** @return DL4J's layout of a vertex's activations when they are 4-d images, else null */
    private DataFormat dl4jLayout(String vertex) {
        InputType t = types.get(vertex);
        if (t instanceof InputType.InputTypeConvolutional c) {
            return DataFormat.valueOf(c.getFormat().name());
        }
        return null;
    }

    private boolean image(String vertex) {
        return types.get(vertex) instanceof InputType.InputTypeConvolutional;
    }

    private boolean flat(String vertex) {
        return types.get(vertex) instanceof InputType.InputTypeFeedForward;
    }

    // ---------------------------------------------------------------- what exports

    /** @return the vertex's configuration, unwrapped from transfer learning's {@code FrozenVertex} */
    private GraphVertex vertexConf(String vertex) {
        GraphVertex gv = conf.getVertices().get(vertex);
        while (gv instanceof org.deeplearning4j.nn.conf.graph.FrozenVertex f) {
            gv = f.getUnderlying();
        }
        return gv;
    }

    private String kind(String vertex) {
        GraphVertex gv = vertexConf(vertex);
        if (gv instanceof LayerVertex lv) {
            return lv.getLayerConf().getLayer().getClass().getSimpleName();
        }
        return gv.getClass().getSimpleName();
    }

    private static org.deeplearning4j.nn.conf.layers.Layer unwrap(org.deeplearning4j.nn.conf.layers.Layer layer) {
        if (layer instanceof FrozenLayer f) {
            return unwrap(f.getLayer());
        }
        if (layer instanceof FrozenLayerWithBackprop f) {
            return unwrap(f.getUnderlying());
        }
        return layer;
    }

    /** @return why a vertex cannot be exported, or null when it can */
    private String unsupported(String vertex) {
        GraphVertex gv = vertexConf(vertex);
        List<String> ins = conf.getVertexInputs().get(vertex);
        for (String in : ins) {
            if (!image(in) && !flat(in)) {
                return "its input '" + in + "' is neither an image nor a flat vector (" + types.get(in) + ")";
            }
        }
        if (gv instanceof PreprocessorVertex pv) {
            return preprocessorUnsupported(pv.getPreProcessor(), ins.get(0));
        }
        if (gv instanceof ElementWiseVertex ew) {
            return sameKind(ins) ? null : "its inputs mix image and non-image activations";
        }
        if (gv instanceof MergeVertex) {
            return sameKind(ins) ? null : "its inputs mix image and non-image activations";
        }
        if (gv instanceof ScaleVertex || gv instanceof ShiftVertex) {
            return null;
        }
        if (!(gv instanceof LayerVertex lv)) {
            return "vertex type " + gv.getClass().getSimpleName() + " is not exported";
        }
        InputPreProcessor pre = lv.getPreProcessor();
        InputType layerIn = types.get(ins.get(0));
        if (pre != null) {
            String r = preprocessorUnsupported(pre, ins.get(0));
            if (r != null) {
                return r;
            }
            layerIn = pre.getOutputType(layerIn);
        }
        if (!image(vertex) && !flat(vertex)) {
            return "its output is neither an image nor a flat vector (" + types.get(vertex) + ")";
        }
        DataFormat inLayout = layerIn instanceof InputType.InputTypeConvolutional c
                ? DataFormat.valueOf(c.getFormat().name()) : null;
        return layerUnsupported(unwrap(lv.getLayerConf().getLayer()), inLayout);
    }

    private boolean sameKind(List<String> ins) {
        DataFormat f = dl4jLayout(ins.get(0));
        return ins.stream().allMatch(v -> dl4jLayout(v) == f);
    }

    private String preprocessorUnsupported(InputPreProcessor pre, String in) {
        if (pre instanceof CnnToFeedForwardPreProcessor) {
            return image(in) || flat(in) ? null : "CnnToFeedForwardPreProcessor needs image input";
        }
        if (pre instanceof FeedForwardToCnnPreProcessor) {
            return null;
        }
        return "its preprocessor " + pre.getClass().getSimpleName() + " is not exported";
    }

    private static boolean isPlainConvolution(Class<?> c) {
        return c == ConvolutionLayer.class || c == Convolution2D.class;
    }

    private String layerUnsupported(org.deeplearning4j.nn.conf.layers.Layer layer, DataFormat inLayout) {
        boolean imageIn = inLayout != null;
        Class<?> c = layer.getClass();
        String kind = c.getSimpleName();
        if (isPlainConvolution(c) || c == DepthwiseConvolution2D.class || c == SeparableConvolution2D.class
                || c == SubsamplingLayer.class) {
            if (!imageIn) {
                return kind + " without a 4-d image input is not exported";
            }
            ConvolutionMode mode = c == SubsamplingLayer.class ? ((SubsamplingLayer) layer).getConvolutionMode()
                    : ((ConvolutionLayer) layer).getConvolutionMode();
            if (mode == ConvolutionMode.Causal) {
                return "convolution mode Causal is not exported";
            }
            if (c == SubsamplingLayer.class) {
                SubsamplingLayer s = (SubsamplingLayer) layer;
                if (s.getPoolingType() != PoolingType.MAX && s.getPoolingType() != PoolingType.AVG) {
                    return "pooling type " + s.getPoolingType() + " is not exported";
                }
                if (s.getPoolingType() == PoolingType.AVG && (s.getDilation()[0] != 1 || s.getDilation()[1] != 1)) {
                    return "dilated average pooling is not exported (ONNX AveragePool has no dilations before opset 19)";
                }
                return null;
            }
            return ActivationExport.unsupported(((ConvolutionLayer) layer).getActivationFn(), 4);
        }
        if (c == BatchNormalization.class) {
            return ((BatchNormalization) layer).isLockGammaBeta()
                    ? "lockGammaBeta is set (DL4J treats fixed gamma/beta differently in its two code paths)" : null;
        }
        if (c == LocalResponseNormalization.class) {
            LocalResponseNormalization l = (LocalResponseNormalization) layer;
            if (!imageIn) {
                return "local response normalisation without a 4-d image input is not exported";
            }
            return ((long) l.getN()) % 2 == 1 && l.getN() == Math.rint(l.getN()) ? null
                    : "local response normalisation over an even window (n=" + l.getN() + ") is not exported";
        }
        if (c == ActivationLayer.class) {
            return ActivationExport.unsupported(((ActivationLayer) layer).getActivationFn(), imageIn ? 4 : 2);
        }
        if (c == DropoutLayer.class) {
            return null;
        }
        if (c == LossLayer.class) {
            return imageIn ? "a loss layer on 4-d input is not exported"
                    : ActivationExport.unsupported(((LossLayer) layer).getActivationFn(), 2);
        }
        if (c == DenseLayer.class || c == OutputLayer.class) {
            if (imageIn) {
                return kind + " on 4-d input is not exported";
            }
            if (c == DenseLayer.class && ((DenseLayer) layer).isHasLayerNorm()) {
                return "layer normalisation is not exported";
            }
            return ActivationExport.unsupported(((FeedForwardLayer) layer).getActivationFn(), 2);
        }
        if (c == GlobalPoolingLayer.class) {
            GlobalPoolingLayer g = (GlobalPoolingLayer) layer;
            PoolingType t = g.getPoolingType();
            if (!imageIn || !g.isCollapseDimensions() || (t != PoolingType.AVG && t != PoolingType.MAX && t != PoolingType.SUM)) {
                return "only collapsing AVG, MAX or SUM global pooling of 4-d input is exported";
            }
            int[] dims = g.getPoolingDimensions() == null ? new int[]{2, 3} : g.getPoolingDimensions().clone();
            java.util.Arrays.sort(dims);
            int[] spatial = inLayout == DataFormat.NHWC ? new int[]{1, 2} : new int[]{2, 3};
            return java.util.Arrays.equals(dims, spatial) ? null : "global pooling over the dimensions "
                    + java.util.Arrays.toString(dims) + " of " + inLayout + " activations (not the spatial ones) is not exported";
        }
        if (c == ZeroPaddingLayer.class || c == Cropping2D.class) {
            return imageIn ? null : kind + " without a 4-d image input is not exported";
        }
        return "layer type " + kind + " is not exported to ONNX";
    }

    // ---------------------------------------------------------------- emission

    private Value emit(OnnxGraph g, String vertex, List<Value> args) {
        GraphVertex gv = vertexConf(vertex);
        String kind = kind(vertex);
        int before = g.nodes();
        Value out;
        if (gv instanceof PreprocessorVertex pv) {
            out = preprocess(g, vertex, pv.getPreProcessor(), args.get(0), conf.getVertexInputs().get(vertex).get(0));
        } else if (gv instanceof ElementWiseVertex ew) {
            out = new Value(elementwise(g, vertex, ew.getOp(), args), dl4jLayout(vertex));
        } else if (gv instanceof MergeVertex mv) {
            int axis = mv.getMergeAxis();
            if (args.get(0).image()) {
                axis = nchwAxis(axis, args.get(0).dl4jLayout());
            }
            out = new Value(g.node("Concat", vertex, args.stream().map(Value::tensor).toArray(String[]::new),
                    OnnxGraph.attr("axis", (long) axis)), dl4jLayout(vertex));
        } else if (gv instanceof ScaleVertex s) {
            out = new Value(g.node("Mul", vertex, new String[]{args.get(0).tensor(), g.scalar(vertex + ":scale",
                    (float) s.getScaleFactor())}), dl4jLayout(vertex));
        } else if (gv instanceof ShiftVertex s) {
            out = new Value(g.node("Add", vertex, new String[]{args.get(0).tensor(), g.scalar(vertex + ":shift",
                    (float) s.getShiftFactor())}), dl4jLayout(vertex));
        } else {
            LayerVertex lv = (LayerVertex) gv;
            Value x = args.get(0);
            if (lv.getPreProcessor() != null) {
                x = preprocess(g, vertex, lv.getPreProcessor(), x, conf.getVertexInputs().get(vertex).get(0));
            }
            out = layer(g, vertex, unwrap(lv.getLayerConf().getLayer()), x);
        }
        if (g.nodes() == before) {
            entries.put(vertex, new EngineReport.Entry(vertex, kind, EngineReport.Treatment.IDENTITY, "nothing to do at inference"));
        } else {
            entries.put(vertex, new EngineReport.Entry(vertex, kind, EngineReport.Treatment.ONNX,
                    (g.nodes() - before) + " ONNX node(s)"));
        }
        return out;
    }

    /** @return the NCHW axis of an axis of a DL4J image activation in the given layout */
    private static int nchwAxis(int axis, DataFormat dl4j) {
        if (dl4j == DataFormat.NCHW || axis == 0) {
            return axis;
        }
        return new int[]{0, 2, 3, 1}[axis];
    }

    private Value preprocess(OnnxGraph g, String vertex, InputPreProcessor pre, Value x, String inVertex) {
        if (pre instanceof FeedForwardToCnnPreProcessor p) {
            if (x.image()) {
                return x; // DL4J passes 4-d input through unchanged
            }
            // DL4J 1.0.0-M2.1 reshapes to NCHW [n, channels, height, width]
            long[] shape = {-1, p.getNumChannels(), p.getInputHeight(), p.getInputWidth()};
            return new Value(g.node("Reshape", vertex + ":reshape", new String[]{x.tensor(), g.int64s(vertex + ":shape", shape)}),
                    DataFormat.NCHW);
        }
        // CnnToFeedForwardPreProcessor: a C-order reshape in DL4J's layout of the activation
        if (!x.image()) {
            return x;
        }
        String t = x.dl4jLayout() == DataFormat.NHWC ? transpose(g, x.tensor(), vertex + ":nhwc", 0, 2, 3, 1) : x.tensor();
        return new Value(g.node("Flatten", vertex + ":flatten", new String[]{t}, OnnxGraph.attr("axis", 1L)), null);
    }

    private String elementwise(OnnxGraph g, String vertex, ElementWiseVertex.Op op, List<Value> args) {
        String[] in = args.stream().map(Value::tensor).toArray(String[]::new);
        return switch (op) {
            case Add -> in.length == 2 ? g.node("Add", vertex, in) : g.node("Sum", vertex, in);
            case Subtract -> g.node("Sub", vertex, in);
            case Product -> {
                String acc = in[0];
                for (int i = 1; i < in.length; i++) {
                    acc = g.node("Mul", vertex, new String[]{acc, in[i]});
                }
                yield acc;
            }
            case Average -> g.node("Mean", vertex, in);
            case Max -> g.node("Max", vertex, in);
        };
    }

    private Value layer(OnnxGraph g, String vertex, org.deeplearning4j.nn.conf.layers.Layer layer, Value x) {
        Layer rt = graph.getLayer(vertex);
        Class<?> c = layer.getClass();
        DataFormat outLayout = dl4jLayout(vertex);
        String y;
        if (isPlainConvolution(c) || c == DepthwiseConvolution2D.class || c == SeparableConvolution2D.class) {
            y = convolution(g, vertex, (ConvolutionLayer) layer, rt, x);
        } else if (c == SubsamplingLayer.class) {
            y = pooling(g, vertex, (SubsamplingLayer) layer, x);
        } else if (c == BatchNormalization.class) {
            BatchNormParams bn = BatchNormParams.of(rt);
            y = g.node("BatchNormalization", vertex, new String[]{x.tensor(), g.weights(vertex + ":gamma", bn.gamma()),
                    g.weights(vertex + ":beta", bn.beta()), g.weights(vertex + ":mean", bn.mean()),
                    g.weights(vertex + ":var", bn.variance())}, OnnxGraph.attr("epsilon", (float) bn.eps()));
        } else if (c == LocalResponseNormalization.class) {
            LocalResponseNormalization l = (LocalResponseNormalization) layer;
            y = g.node("LRN", vertex, new String[]{x.tensor()}, OnnxGraph.attr("size", (long) l.getN()),
                    OnnxGraph.attr("alpha", (float) (l.getAlpha() * l.getN())), OnnxGraph.attr("beta", (float) l.getBeta()),
                    OnnxGraph.attr("bias", (float) l.getK()));
        } else if (c == ActivationLayer.class) {
            y = ActivationExport.emit(g, vertex, ((ActivationLayer) layer).getActivationFn(), x.tensor());
        } else if (c == DropoutLayer.class) {
            y = x.tensor();
        } else if (c == LossLayer.class) {
            y = ActivationExport.emit(g, vertex, ((LossLayer) layer).getActivationFn(), x.tensor());
        } else if (c == DenseLayer.class || c == OutputLayer.class) {
            FeedForwardLayer ff = (FeedForwardLayer) layer;
            flops += 2L * ff.getNIn() * ff.getNOut();
            INDArray b = rt.paramTable().get("b");
            String[] in = b == null ? new String[]{x.tensor(), g.weights(vertex + ":W", rt.getParam("W"))}
                    : new String[]{x.tensor(), g.weights(vertex + ":W", rt.getParam("W")),
                    g.weights(vertex + ":b", b, ff.getNOut())};
            y = ActivationExport.emit(g, vertex, ff.getActivationFn(), g.node("Gemm", vertex + ":gemm", in));
        } else if (c == GlobalPoolingLayer.class) {
            y = globalPooling(g, vertex, (GlobalPoolingLayer) layer, x);
        } else if (c == ZeroPaddingLayer.class) {
            int[] p = ((ZeroPaddingLayer) layer).getPadding(); // top, bottom, left, right
            y = g.node("Pad", vertex, new String[]{x.tensor(), g.int64s(vertex + ":pads", 0, 0, p[0], p[2], 0, 0, p[1], p[3])});
        } else if (c == Cropping2D.class) {
            int[] k = ((Cropping2D) layer).getCropping(); // top, bottom, left, right
            InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) types.get(conf.getVertexInputs().get(vertex).get(0));
            y = g.node("Slice", vertex, new String[]{x.tensor(), g.int64s(vertex + ":starts", k[0], k[2]),
                    g.int64s(vertex + ":ends", t.getHeight() - k[1], t.getWidth() - k[3]), g.int64s(vertex + ":axes", 2, 3)});
        } else {
            throw new IllegalStateException("no export for " + c.getSimpleName()); // unsupported() lets only the above through
        }
        return new Value(y, outLayout);
    }

    private String convolution(OnnxGraph g, String vertex, ConvolutionLayer layer, Layer rt, Value x) {
        InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) types.get(conf.getVertexInputs().get(vertex).get(0));
        InputType.InputTypeConvolutional out = (InputType.InputTypeConvolutional) types.get(vertex);
        long[] pads = pads(layer.getKernelSize(), layer.getStride(), layer.getPadding(), layer.getDilation(),
                layer.getConvolutionMode(), in);
        long inC = in.getChannels();
        INDArray bias = layer.hasBias() ? rt.getParam("b").reshape(-1) : null;
        String y;
        if (layer instanceof SeparableConvolution2D) {
            INDArray dw = rt.getParam("W"); // [multiplier, in, kH, kW]
            long m = dw.size(0);
            String depth = conv(g, vertex + ":depthwise", x.tensor(),
                    g.weights(vertex + ":dW", dw.permute(1, 0, 2, 3), inC * m, 1, dw.size(2), dw.size(3)), null,
                    layer, pads, inC);
            INDArray pw = rt.getParam("pW");
            y = conv(g, vertex, depth, g.weights(vertex + ":pW", pw), bias == null ? null : g.weights(vertex + ":b", bias),
                    null, new long[]{0, 0, 0, 0}, 1);
            flops += 2L * out.getHeight() * out.getWidth() * (inC * m * layer.getKernelSize()[0] * layer.getKernelSize()[1]
                    + out.getChannels() * inC * m);
        } else if (layer instanceof DepthwiseConvolution2D && isDepthwiseScale(layer, rt.getParam("W"), pads)) {
            // A 1x1 depthwise convolution with multiplier 1 (fine-tuning's inference-mode batch-normalisation stand-in)
            // is a per-channel scale and shift: Mul + Add, which ONNX Runtime folds into the convolution before it.
            y = channelScale(g, vertex, x.tensor(), rt.getParam("W").reshape(inC), bias, inC);
            flops += 2L * out.getHeight() * out.getWidth() * inC;
        } else if (layer instanceof DepthwiseConvolution2D) {
            INDArray w = rt.getParam("W"); // [kH, kW, in, multiplier]
            long m = w.size(3);
            y = conv(g, vertex, x.tensor(), g.weights(vertex + ":W", w.permute(2, 3, 0, 1), inC * m, 1, w.size(0), w.size(1)),
                    bias == null ? null : g.weights(vertex + ":b", bias), layer, pads, inC);
            flops += 2L * out.getHeight() * out.getWidth() * out.getChannels() * layer.getKernelSize()[0] * layer.getKernelSize()[1];
        } else if (isChannelScale(layer, rt.getParam("W"), pads)) {
            // A diagonal 1x1 convolution (fine-tuning's inference-mode batch-normalisation stand-in) is a per-channel
            // scale and shift: written as Mul + Add, which ONNX Runtime folds into the convolution before it.
            INDArray w = rt.getParam("W");
            INDArray diag = org.nd4j.linalg.factory.Nd4j.createUninitialized(w.dataType(), inC);
            for (long i = 0; i < inC; i++) {
                diag.putScalar(i, w.getDouble(i, i, 0, 0));
            }
            y = channelScale(g, vertex, x.tensor(), diag, bias, inC);
            flops += 2L * out.getHeight() * out.getWidth() * inC;
        } else {
            y = conv(g, vertex, x.tensor(), g.weights(vertex + ":W", rt.getParam("W")),
                    bias == null ? null : g.weights(vertex + ":b", bias), layer, pads, 1);
            flops += 2L * out.getHeight() * out.getWidth() * out.getChannels() * inC
                    * layer.getKernelSize()[0] * layer.getKernelSize()[1];
        }
        return ActivationExport.emit(g, vertex, layer.getActivationFn(), y);
    }

    /** @return {@code x * scale + bias} per channel (NCHW), as Mul and Add nodes */
    private static String channelScale(OnnxGraph g, String vertex, String x, INDArray scale, INDArray bias, long channels) {
        String y = g.node("Mul", vertex + ":scale", new String[]{x, g.weights(vertex + ":s", scale, 1, channels, 1, 1)});
        return bias == null ? y : g.node("Add", vertex + ":shift", new String[]{y, g.weights(vertex + ":b", bias, 1, channels, 1, 1)});
    }

    /** @return whether a depthwise convolution is 1x1, multiplier 1, stride 1 and unpadded: a per-channel scale */
    private static boolean isDepthwiseScale(ConvolutionLayer layer, INDArray w, long[] pads) {
        return w.rank() == 4 && w.size(0) == 1 && w.size(1) == 1 && w.size(3) == 1 && layer.getStride()[0] == 1
                && layer.getStride()[1] == 1 && java.util.Arrays.stream(pads).allMatch(p -> p == 0);
    }

    /**
     * @return whether a convolution is 1x1, stride 1, unpadded, square and diagonal: a per-channel scale (the
     *         batch-normalisation stand-in of networks fine-tuned before it became a depthwise convolution)
     */
    private static boolean isChannelScale(ConvolutionLayer layer, INDArray w, long[] pads) {
        if (w.rank() != 4 || w.size(0) != w.size(1) || w.size(2) != 1 || w.size(3) != 1
                || layer.getStride()[0] != 1 || layer.getStride()[1] != 1 || java.util.Arrays.stream(pads).anyMatch(p -> p != 0)) {
            return false;
        }
        INDArray m = w.reshape(w.size(0), w.size(1));
        INDArray diag = org.nd4j.linalg.factory.Nd4j.diag(org.nd4j.linalg.factory.Nd4j.diag(m));
        return m.equals(diag);
    }

    /** A Conv node; {@code layer} null means a 1x1 pointwise convolution with unit stride. */
    private static String conv(OnnxGraph g, String hint, String x, String w, String b, ConvolutionLayer layer, long[] pads,
                               long group) {
        int[] k = layer == null ? new int[]{1, 1} : layer.getKernelSize();
        int[] s = layer == null ? new int[]{1, 1} : layer.getStride();
        int[] d = layer == null ? new int[]{1, 1} : layer.getDilation();
        String[] in = b == null ? new String[]{x, w} : new String[]{x, w, b};
        return g.node("Conv", hint + ":conv", in, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                OnnxGraph.attr("strides", new long[]{s[0], s[1]}), OnnxGraph.attr("dilations", new long[]{d[0], d[1]}),
                OnnxGraph.attr("pads", pads), OnnxGraph.attr("group", group));
    }

    private String pooling(OnnxGraph g, String vertex, SubsamplingLayer s, Value x) {
        InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) types.get(conf.getVertexInputs().get(vertex).get(0));
        long[] pads = pads(s.getKernelSize(), s.getStride(), s.getPadding(), s.getDilation(), s.getConvolutionMode(), in);
        int[] k = s.getKernelSize();
        int[] st = s.getStride();
        if (s.getPoolingType() == PoolingType.MAX) {
            int[] d = s.getDilation();
            return g.node("MaxPool", vertex, new String[]{x.tensor()}, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                    OnnxGraph.attr("strides", new long[]{st[0], st[1]}), OnnxGraph.attr("pads", pads),
                    OnnxGraph.attr("dilations", new long[]{d[0], d[1]}));
        }
        return g.node("AveragePool", vertex, new String[]{x.tensor()}, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                OnnxGraph.attr("strides", new long[]{st[0], st[1]}), OnnxGraph.attr("pads", pads),
                OnnxGraph.attr("count_include_pad", s.isAvgPoolIncludePadInDivisor() ? 1L : 0L));
    }

    /**
     * The explicit paddings DL4J uses: the configured ones, or in Same mode the total needed for an output of
     * {@code ceil(in / stride)} split with the smaller half at the top and left (as DL4J and TensorFlow do).
     *
     * @return ONNX pads {@code [top, left, bottom, right]}
     */
    private static long[] pads(int[] kernel, int[] stride, int[] padding, int[] dilation, ConvolutionMode mode,
                               InputType.InputTypeConvolutional in) {
        return pads(kernel, stride, padding, dilation, mode, in.getHeight(), in.getWidth());
    }

    /** {@link #pads(int[], int[], int[], int[], ConvolutionMode, InputType.InputTypeConvolutional)} for an input of the given height and width. */
    static long[] pads(int[] kernel, int[] stride, int[] padding, int[] dilation, ConvolutionMode mode, long height,
                       long width) {
        if (mode != ConvolutionMode.Same) {
            return new long[]{padding[0], padding[1], padding[0], padding[1]};
        }
        long[] size = {height, width};
        long[] before = new long[2];
        long[] after = new long[2];
        for (int a = 0; a < 2; a++) {
            long outSize = (size[a] + stride[a] - 1) / stride[a];
            long effective = (long) (kernel[a] - 1) * dilation[a] + 1;
            long total = Math.max(0, (outSize - 1) * stride[a] + effective - size[a]);
            before[a] = total / 2;
            after[a] = total - before[a];
        }
        return new long[]{before[0], before[1], after[0], after[1]};
    }

    private String globalPooling(OnnxGraph g, String vertex, GlobalPoolingLayer layer, Value x) {
        InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) types.get(conf.getVertexInputs().get(vertex).get(0));
        String pooled = switch (layer.getPoolingType()) {
            case AVG -> g.node("GlobalAveragePool", vertex + ":gap", new String[]{x.tensor()});
            case MAX -> g.node("GlobalMaxPool", vertex + ":gmp", new String[]{x.tensor()});
            default -> g.node("Mul", vertex + ":sum", new String[]{g.node("GlobalAveragePool", vertex + ":gap",
                    new String[]{x.tensor()}), g.scalar(vertex + ":area", (float) (in.getHeight() * in.getWidth()))});
        };
        return g.node("Flatten", vertex, new String[]{pooled}, OnnxGraph.attr("axis", 1L));
    }
}
