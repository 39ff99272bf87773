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
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the part of a DL4J {@link ComputationGraph} that an output vertex depends on into a {@link Program} of native
 * steps. 4-d activations live in the engine's layout ({@link EngineOptions#layout()}); the configured axes, paddings
 * and flattening orders of DL4J's layers, which refer to DL4J's own layout of each activation (found with DL4J's
 * shape inference), are translated. A convolution followed only by a batch normalisation gets the normalisation folded
 * into its weights and bias, and an activation layer that only follows it is applied in place. A vertex the engine
 * does not support runs through DL4J ({@link FallbackStep}) with its inputs converted to DL4J's layout.
 */
final class GraphCompiler {
    /** A computed activation: its slot, and for 4-d image activations (kept in the engine's layout) DL4J's layout. */
    private record Value(int slot, DataFormat dl4jLayout) {
        boolean image() {
            return dl4jLayout != null;
        }
    }

    /** The compiled program and its report. */
    record Result(Program program, EngineReport report) {
    }

    private final ComputationGraph graph;
    private final ComputationGraphConfiguration conf;
    private final String target;
    private final InputSpec input;
    private final EngineOptions options;
    private final DataFormat layout;
    private final Program.Builder program = new Program.Builder();
    private final Map<String, Value> values = new HashMap<>();
    private final List<EngineReport.Entry> entries = new ArrayList<>();
    private final Set<String> fused = new HashSet<>();
    private Map<String, InputType> types;
    private Map<String, List<String>> consumers;
    private long flops;

    GraphCompiler(ComputationGraph graph, String target, InputSpec input, EngineOptions options) {
        this.graph = graph;
        this.conf = graph.getConfiguration();
        this.target = target;
        this.input = input;
        this.options = options;
        this.layout = options.layout();
    }

    Result compile() {
        List<String> inputs = conf.getNetworkInputs();
        if (inputs.size() != 1) {
            throw new EngineException("The engine runs networks with one input, but this one has " + inputs.size() + ": "
                    + inputs + ".");
        }
        if (!conf.getVertices().containsKey(target) && !inputs.contains(target)) {
            throw new EngineException("The network has no vertex named '" + target + "'. Its vertices are: "
                    + new java.util.TreeSet<>(conf.getVertices().keySet()) + ".");
        }
        InputType inType = InputType.convolutional(input.height(), input.width(), input.channels(),
                CNN2DFormat.valueOf(input.format().name()));
        try {
            types = conf.getLayerActivationTypes(inType);
        } catch (RuntimeException e) {
            throw new EngineException("DL4J cannot infer the activation shapes of this network for the input " + input
                    + ": " + e.getMessage(), e);
        }
        Set<String> needed = ancestors(target);
        consumers = new HashMap<>();
        for (String v : needed) {
            for (String in : conf.getVertexInputs().getOrDefault(v, List.of())) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(v);
            }
        }
        String in = inputs.get(0);
        values.put(in, toEngine(in, program.inputSlot(), input.format()));
        for (String v : conf.getTopologicalOrderStr()) {
            if (needed.contains(v) && !inputs.contains(v) && !fused.contains(v)) {
                lower(v);
            }
        }
        Value out = values.get(target);
        int slot = out.slot();
        if (out.image() && out.dl4jLayout() != layout) {
            slot = program.add(target, new LayoutStep(layout, out.dl4jLayout()), slot);
        }
        return new Result(program.build(slot), new EngineReport(target, entries, flops));
    }

    private Set<String> ancestors(String vertex) {
        Set<String> keep = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(vertex));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (keep.add(v)) {
                todo.addAll(conf.getVertexInputs().getOrDefault(v, List.of()));
            }
        }
        return keep;
    }

    private void lower(String name) {
        GraphVertex gv = conf.getVertices().get(name);
        List<String> inNames = conf.getVertexInputs().get(name);
        List<Value> ins = inNames.stream().map(values::get).toList();
        String kind = kind(gv);
        String reason;
        if (gv instanceof LayerVertex lv) {
            reason = lowerLayerVertex(name, lv, inNames.get(0), ins.get(0));
        } else if (gv instanceof PreprocessorVertex pv) {
            reason = null;
            Value v = lowerPreprocessor(name, pv.getPreProcessor(), ins.get(0), types.get(inNames.get(0)));
            values.put(name, v);
        } else if (gv instanceof ElementWiseVertex ew) {
            reason = lowerElementwise(name, ew, ins);
        } else if (gv instanceof MergeVertex mv) {
            reason = lowerMerge(name, mv, ins);
        } else {
            reason = "vertex type " + kind + " is not compiled by the engine";
        }
        if (reason != null) {
            fallback(name, kind, ins, reason);
        }
    }

    private static String kind(GraphVertex gv) {
        if (gv instanceof LayerVertex lv) {
            return lv.getLayerConf().getLayer().getClass().getSimpleName();
        }
        return gv.getClass().getSimpleName();
    }

    /** @return null when compiled, else why not */
    private String lowerLayerVertex(String name, LayerVertex lv, String inName, Value x) {
        org.deeplearning4j.nn.conf.layers.Layer layer = lv.getLayerConf().getLayer();
        InputPreProcessor pre = lv.getPreProcessor();
        InputType inType = types.get(inName);
        InputType layerInType = pre == null ? inType : pre.getOutputType(inType);
        boolean image = layerInType.getType() == InputType.Type.CNN;
        String reason = unsupported(layer, image);
        if (reason != null) {
            return reason;
        }
        if (pre != null) {
            x = lowerPreprocessor(name, pre, x, inType);
            if (image != x.image()) {
                return "its preprocessor " + pre.getClass().getSimpleName() + " does not produce the expected activations";
            }
        }
        Layer rt = graph.getLayer(name);
        Class<?> c = layer.getClass();
        String kind = c.getSimpleName();
        if (c == ConvolutionLayer.class || c == DepthwiseConvolution2D.class) {
            lowerConvolution(name, (ConvolutionLayer) layer, rt, x, inType);
        } else if (c == SubsamplingLayer.class) {
            SubsamplingLayer s = (SubsamplingLayer) layer;
            PoolStep step = new PoolStep(s.getPoolingType() == PoolingType.MAX, geometry(s.getKernelSize(), s.getStride(),
                    s.getPadding(), s.getDilation(), s.getConvolutionMode()), s.isAvgPoolIncludePadInDivisor() ? 1 : 0, layout);
            emit(name, kind, step, x);
        } else if (c == BatchNormalization.class) {
            BatchNormFold fold = BatchNormFold.of(rt);
            emit(name, kind, new ScaleShiftStep(fold.scale(), fold.shift(), image ? Layouts.channelAxis(layout) : 1), x);
        } else if (c == ActivationLayer.class) {
            emit(name, kind, new ActivationStep(((ActivationLayer) layer).getActivationFn()), x);
        } else if (c == LossLayer.class) {
            emit(name, kind, new ActivationStep(((LossLayer) layer).getActivationFn()), x);
        } else if (c == DropoutLayer.class) {
            values.put(name, new Value(x.slot(), dl4jLayout(name)));
            entries.add(new EngineReport.Entry(name, kind, EngineReport.Treatment.IDENTITY, "no dropout at inference"));
        } else if (c == DenseLayer.class || c == OutputLayer.class) {
            org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) layer;
            INDArray b = rt.paramTable().containsKey("b") ? rt.getParam("b") : null;
            flops += 2L * ff.getNIn() * ff.getNOut();
            emit(name, kind, new DenseStep(rt.getParam("W"), b, ff.getActivationFn()), x);
        } else if (c == GlobalPoolingLayer.class) {
            GlobalPoolingLayer g = (GlobalPoolingLayer) layer;
            int[] dims = g.getPoolingDimensions() != null ? g.getPoolingDimensions() : new int[]{2, 3};
            int[] axes = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                axes[i] = Layouts.mapAxis(dims[i], x.dl4jLayout(), layout);
            }
            emit(name, kind, new GlobalPoolStep(g.getPoolingType(), axes), x);
        } else if (c == ZeroPaddingLayer.class) {
            emit(name, kind, new PadCropStep(true, ((ZeroPaddingLayer) layer).getPadding(), layout), x);
        } else if (c == Cropping2D.class) {
            emit(name, kind, new PadCropStep(false, ((Cropping2D) layer).getCropping(), layout), x);
        } else {
            throw new IllegalStateException("no lowering for " + kind); // unsupported() lets only the above through
        }
        return null;
    }

    /** @return why the engine cannot compile the layer, or null */
    private static String unsupported(org.deeplearning4j.nn.conf.layers.Layer layer, boolean imageInput) {
        Class<?> c = layer.getClass();
        String kind = c.getSimpleName();
        if (c == ConvolutionLayer.class || c == DepthwiseConvolution2D.class || c == SubsamplingLayer.class) {
            ConvolutionMode mode = c == SubsamplingLayer.class ? ((SubsamplingLayer) layer).getConvolutionMode()
                    : ((ConvolutionLayer) layer).getConvolutionMode();
            if (!imageInput) {
                return kind + " without a 4-d image input is not compiled";
            }
            if (mode == ConvolutionMode.Causal) {
                return "convolution mode Causal is not compiled";
            }
            int[] dilation = c == SubsamplingLayer.class ? ((SubsamplingLayer) layer).getDilation()
                    : ((ConvolutionLayer) layer).getDilation();
            if (dilation[0] != 1 || dilation[1] != 1) {
                return "dilated windows are not compiled (ND4J's oneDNN conv2d cannot create a dilated primitive)";
            }
            if (c == SubsamplingLayer.class && ((SubsamplingLayer) layer).getPoolingType() != PoolingType.MAX
                    && ((SubsamplingLayer) layer).getPoolingType() != PoolingType.AVG) {
                return "pooling type " + ((SubsamplingLayer) layer).getPoolingType() + " is not compiled";
            }
            return null;
        }
        if (c == BatchNormalization.class) {
            return BatchNormFold.unsupportedReason((BatchNormalization) layer);
        }
        if (c == ActivationLayer.class || c == DropoutLayer.class) {
            return null;
        }
        if (c == LossLayer.class) {
            return imageInput ? "a loss layer on 4-d input is not compiled" : null; // at inference: its activation only
        }
        if (c == DenseLayer.class || c == OutputLayer.class) {
            if (imageInput) {
                return kind + " on 4-d input is not compiled";
            }
            if (c == DenseLayer.class && ((DenseLayer) layer).isHasLayerNorm()) {
                return "layer normalisation is not compiled";
            }
            return null;
        }
        if (c == GlobalPoolingLayer.class) {
            GlobalPoolingLayer g = (GlobalPoolingLayer) layer;
            if (!imageInput || !g.isCollapseDimensions() || !GlobalPoolStep.supports(g.getPoolingType())) {
                return "only collapsing AVG, MAX or SUM global pooling of 4-d input is compiled";
            }
            return null;
        }
        if (c == ZeroPaddingLayer.class || c == Cropping2D.class) {
            return imageInput ? null : kind + " without a 4-d image input is not compiled";
        }
        return "layer type " + kind + " is not compiled by the engine";
    }

    private void lowerConvolution(String name, ConvolutionLayer layer, Layer rt, Value x, InputType inType) {
        boolean depthwise = layer instanceof DepthwiseConvolution2D;
        INDArray w = rt.getParam("W");
        INDArray b = layer.hasBias() ? rt.getParam("b") : null;
        IActivation act = layer.getActivationFn();
        List<String> merged = new ArrayList<>();
        StringBuilder note = new StringBuilder();
        String last = name;
        String bn = soleConsumer(name, BatchNormalization.class);
        if (Activations.isIdentity(act) && bn != null && types.get(bn).getType() == InputType.Type.CNN
                && BatchNormFold.unsupportedReason((BatchNormalization) layerOf(bn)) == null) {
            BatchNormFold fold = BatchNormFold.of(graph.getLayer(bn));
            w = fold.foldWeights(w, depthwise);
            b = fold.foldBias(b);
            merged.add(bn);
            note.append(" +folded ").append(bn);
            last = bn;
        }
        if (Activations.isIdentity(act)) {
            String a = soleConsumer(last, ActivationLayer.class);
            if (a != null) {
                act = ((ActivationLayer) layerOf(a)).getActivationFn();
                merged.add(a);
                note.append(" +").append(a);
                last = a;
            }
        }
        long outChannels = layer.getNOut();
        ConvStep step = new ConvStep(depthwise ? ConvStep.Kind.DEPTHWISE : ConvStep.Kind.DENSE, w, b,
                geometry(layer.getKernelSize(), layer.getStride(), layer.getPadding(), layer.getDilation(),
                        layer.getConvolutionMode()), outChannels, act, layout, note.toString());
        InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) inType;
        flops += step.flops(t.getHeight(), t.getWidth(), t.getChannels());
        emit(name, layer.getClass().getSimpleName(), step, x);
        for (String m : merged) {
            fused.add(m);
            values.put(m, new Value(values.get(name).slot(), dl4jLayout(m)));
            entries.add(new EngineReport.Entry(m, layerOf(m).getClass().getSimpleName(), EngineReport.Treatment.FUSED,
                    "into " + name));
        }
    }

    private static ConvStep.Geometry geometry(int[] kernel, int[] stride, int[] padding, int[] dilation, ConvolutionMode mode) {
        return new ConvStep.Geometry(kernel, stride, padding, dilation, mode == ConvolutionMode.Same);
    }

    /** @return the only consumer of a vertex when it is a plain layer of the given class and the vertex is not the target */
    private String soleConsumer(String vertex, Class<?> layerClass) {
        List<String> cs = consumers.getOrDefault(vertex, List.of());
        if (vertex.equals(target) || cs.size() != 1) {
            return null;
        }
        String c = cs.get(0);
        GraphVertex gv = conf.getVertices().get(c);
        if (gv instanceof LayerVertex lv && lv.getPreProcessor() == null
                && lv.getLayerConf().getLayer().getClass() == layerClass) {
            return c;
        }
        return null;
    }

    private org.deeplearning4j.nn.conf.layers.Layer layerOf(String vertex) {
        return ((LayerVertex) conf.getVertices().get(vertex)).getLayerConf().getLayer();
    }

    private Value lowerPreprocessor(String name, InputPreProcessor pre, Value x, InputType inType) {
        if (pre instanceof FeedForwardToCnnPreProcessor && x.image()) {
            return x; // DL4J passes 4-d input through unchanged
        }
        InputType outType = pre.getOutputType(inType);
        if (pre instanceof CnnToFeedForwardPreProcessor && x.image()) {
            int slot = program.add(name, new FlattenStep(), toDl4j(name, x));
            if (conf.getVertices().get(name) instanceof PreprocessorVertex) {
                entries.add(new EngineReport.Entry(name, "PreprocessorVertex", EngineReport.Treatment.NATIVE,
                        "flatten in DL4J's " + x.dl4jLayout() + " order"));
            }
            return new Value(slot, null);
        }
        int slot = program.add(name, new PreprocessorStep(pre), toDl4j(name, x));
        entries.add(new EngineReport.Entry(name, pre.getClass().getSimpleName(), EngineReport.Treatment.DL4J_FALLBACK,
                "preprocessor runs through DL4J"));
        checkFallbackAllowed(name, "its preprocessor " + pre.getClass().getSimpleName() + " is not compiled");
        DataFormat outLayout = outType.getType() == InputType.Type.CNN
                ? DataFormat.valueOf(((InputType.InputTypeConvolutional) outType).getFormat().name()) : null;
        return toEngine(name, slot, outLayout);
    }

    private String lowerElementwise(String name, ElementWiseVertex ew, List<Value> ins) {
        if (!ElementwiseStep.supports(ew.getOp())) {
            return "element-wise operation " + ew.getOp() + " is not compiled";
        }
        if (!sameKind(ins)) {
            return "its inputs mix image and non-image activations";
        }
        emitMulti(name, "ElementWiseVertex", new ElementwiseStep(ew.getOp()), ins);
        return null;
    }

    private String lowerMerge(String name, MergeVertex mv, List<Value> ins) {
        if (!sameKind(ins)) {
            return "its inputs mix image and non-image activations";
        }
        int axis = mv.getMergeAxis();
        if (ins.get(0).image()) {
            axis = Layouts.mapAxis(axis, ins.get(0).dl4jLayout(), layout);
        }
        emitMulti(name, "MergeVertex", new ConcatStep(axis), ins);
        return null;
    }

    private static boolean sameKind(List<Value> ins) {
        DataFormat f = ins.get(0).dl4jLayout();
        return ins.stream().allMatch(v -> v.dl4jLayout() == f);
    }

    private void emit(String name, String kind, Step step, Value x) {
        emitMulti(name, kind, step, List.of(x));
    }

    private void emitMulti(String name, String kind, Step step, List<Value> ins) {
        int slot = program.add(name, step, ins.stream().mapToInt(Value::slot).toArray());
        values.put(name, new Value(slot, dl4jLayout(name)));
        entries.add(new EngineReport.Entry(name, kind, EngineReport.Treatment.NATIVE, step.describe()));
    }

    private void fallback(String name, String kind, List<Value> ins, String reason) {
        checkFallbackAllowed(name, reason);
        int[] slots = new int[ins.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = toDl4j(name, ins.get(i));
        }
        int slot = program.add(name, new FallbackStep(graph, name, reason), slots);
        values.put(name, toEngine(name, slot, dl4jLayout(name)));
        entries.add(new EngineReport.Entry(name, kind, EngineReport.Treatment.DL4J_FALLBACK, reason));
    }

    private void checkFallbackAllowed(String name, String reason) {
        if (!options.allowFallback()) {
            throw new EngineException("The engine cannot compile the vertex '" + name + "': " + reason
                    + ". Allow DL4J fallback (EngineOptions.optAllowFallback(true)) to run it through DL4J.");
        }
    }

    /** @return the slot of the value in DL4J's own layout, converting when the engine's differs */
    private int toDl4j(String name, Value v) {
        if (v.image() && v.dl4jLayout() != layout) {
            return program.add(name, new LayoutStep(layout, v.dl4jLayout()), v.slot());
        }
        return v.slot();
    }

    /** @return a value in the engine's layout made from a slot in DL4J's layout */
    private Value toEngine(String name, int slot, DataFormat dl4j) {
        if (dl4j != null && dl4j != layout) {
            slot = program.add(name, new LayoutStep(dl4j, layout), slot);
        }
        return new Value(slot, dl4j);
    }

    /** @return DL4J's layout of a vertex's activations when they are 4-d images, else null */
    private DataFormat dl4jLayout(String vertex) {
        InputType t = types.get(vertex);
        if (t instanceof InputType.InputTypeConvolutional c) {
            return DataFormat.valueOf(c.getFormat().name());
        }
        return null;
    }
}
