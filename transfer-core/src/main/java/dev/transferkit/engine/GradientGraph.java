package dev.transferkit.engine;

import dev.transferkit.onnx.ActivationClip;
import dev.transferkit.onnx.ActivationOnnxHardSigmoid;
import dev.transferkit.onnx.ActivationOnnxHardSwish;
import dev.transferkit.onnx.OnnxActivationLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DL4J network's training step (forward pass, softmax cross-entropy and the backward pass to every trained
 * parameter) written out as one ONNX graph of standard operators, for ONNX Runtime.
 *
 * <p>The graph's inputs are the network's inputs (DL4J's layout), the labels, one mask per dropout and the trained
 * parameters (DL4J's shapes, so that their values are copied in as they are); the frozen parameters are constants. Its
 * outputs are the probabilities, the loss summed over the batch (the gradient DL4J's updater expects before it divides
 * by the batch size) and one gradient per trained parameter, in the parameter's DL4J shape. Inside, image activations
 * are NCHW. Gradients are written by hand per operator, in reverse order, and only where a trained parameter lies
 * upstream: no gradient is computed for the network's inputs or for frozen layers before the first trained one.
 *
 * <p>A parameter counts as trained unless its layer is frozen or its updater is {@code NoOp} or SGD with learning rate
 * 0 (fine-tuning's batch-normalisation stand-ins). Only what the translation understands is accepted; {@link #of}
 * throws {@link Unsupported} naming the first vertex it does not.
 */
public final class GradientGraph {
    /** The output holding the softmax probabilities, [batch, classes]. */
    public static final String PROBABILITIES = "tk:probabilities";
    /** The output holding the loss summed over the batch, a scalar. */
    public static final String LOSS = "tk:loss";
    /** The input holding the labels, [batch, classes]. */
    public static final String LABELS = "tk:labels";

    /**
     * One parameter of the network.
     *
     * @param key      DL4J's key for it in the network's gradient ({@code layer_W})
     * @param value    the DL4J parameter view
     * @param gradient the DL4J gradient view
     * @param input    the graph input it is fed through, or null when it is a constant of the graph (not trained)
     * @param output   the graph output of its gradient, or null when not trained
     */
    public record Param(String key, INDArray value, INDArray gradient, String input, String output) {
        /** @return whether the parameter is trained (fed each step, its gradient computed) */
        public boolean trained() {
            return input != null;
        }
    }

    /**
     * A dropout on a layer's input.
     *
     * @param input      the graph input of its mask (kept entries {@code 1 / retain}, dropped ones 0)
     * @param perExample the mask's shape for one example, in DL4J's layout
     * @param retain     the probability of keeping an activation
     */
    public record Mask(String input, long[] perExample, double retain) {
    }

    /** Why a network cannot be written out, naming the vertex. */
    public static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    private final byte[] forward;
    private final byte[] onnx;
    private final List<String> inputs;
    private final List<Param> params;
    private final List<Mask> masks;

    private GradientGraph(byte[] forward, byte[] onnx, List<String> inputs, List<Param> params, List<Mask> masks) {
        this.forward = forward;
        this.onnx = onnx;
        this.inputs = List.copyOf(inputs);
        this.params = List.copyOf(params);
        this.masks = List.copyOf(masks);
    }

    /** @return the serialised ONNX model of the training step: forward pass, loss and gradients */
    public byte[] onnx() {
        return onnx.clone();
    }

    /**
     * @return the serialised ONNX model of the forward pass and loss alone (no gradient outputs), with the same inputs
     *         as {@link #onnx()}, for evaluation
     */
    public byte[] forwardOnnx() {
        return forward.clone();
    }

    /** @return the graph inputs of the network's inputs, in the network's order */
    public List<String> inputs() {
        return inputs;
    }

    /** @return every parameter of the network, trained or not */
    public List<Param> params() {
        return params;
    }

    /** @return the dropout masks the graph takes */
    public List<Mask> masks() {
        return masks;
    }

    /** The layer kinds whose forward and backward passes the graph writes (as they are, or frozen). */
    private static final Set<Class<?>> LAYERS = Set.of(ConvolutionLayer.class, DepthwiseConvolution2D.class,
            DenseLayer.class, ActivationLayer.class, OnnxActivationLayer.class, DropoutLayer.class, GlobalPoolingLayer.class, ZeroPaddingLayer.class,
            OutputLayer.class);

    /**
     * Tells whether the graph writes a kind of vertex: the layers above without an input preprocessor, element-wise
     * operations, merges and flattening preprocessor vertices. A vertex of such a kind can still be refused for its settings (an activation, a pooling
     * over other dimensions, a dropout kind) when the graph is written.
     *
     * @param vertex a vertex of a network's configuration
     * @return whether its kind is written
     */
    public static boolean writes(GraphVertex vertex) {
        if (vertex instanceof LayerVertex lv) {
            return lv.getPreProcessor() == null && LAYERS.contains(Builder.unwrap(vertex).getClass());
        }
        return vertex instanceof ElementWiseVertex || vertex instanceof MergeVertex
                || (vertex instanceof PreprocessorVertex pv && pv.getPreProcessor() instanceof CnnToFeedForwardPreProcessor);
    }

    /**
     * Writes a network's training step as an ONNX graph.
     *
     * @param network the network; one output, an {@link OutputLayer} with softmax and {@link LossMCXENT}
     * @param example one batch of its inputs (the shapes of one example, not their values, are used)
     * @return the graph
     * @throws Unsupported naming the first vertex, layer, activation or setting it cannot write
     */
    public static GradientGraph of(ComputationGraph network, INDArray[] example) throws Unsupported {
        return new Builder(network, example).build();
    }

    /** Emits the forward nodes in DL4J's order, recording each one's backward step, then replays them in reverse. */
    private static final class Builder {
        private final ComputationGraph network;
        private final ComputationGraphConfiguration conf;
        private final OnnxGraph g = new OnnxGraph("transferkit_training_step");
        private final Map<String, long[]> dl4jShapes = new HashMap<>();
        private final boolean nhwc;
        private final Map<String, String> values = new HashMap<>();
        private final Map<String, long[]> shapes = new HashMap<>(); // tensor -> per-example shape inside (NCHW)
        private final Set<String> needsGradient = new HashSet<>();
        private final List<Step> tape = new ArrayList<>();
        private final Map<String, List<String>> gradients = new HashMap<>();
        private final List<Param> constants = new ArrayList<>();
        private final Map<String, String> aliases = new HashMap<>(); // folded vertex -> the vertex computing its value
        private final Map<String, List<String>> consumers = new HashMap<>();
        private final Map<String, Trained> trained = new java.util.LinkedHashMap<>(); // by the tensor used inside
        private final List<Mask> masks = new ArrayList<>();
        private final List<String> inputs = new ArrayList<>();
        private String zero;

        /** The backward step of one forward node: receives the gradient of its output. */
        private interface Backward {
            void apply(String dy) throws Unsupported;
        }

        private record Step(String output, Backward backward) {
        }

        Builder(ComputationGraph network, INDArray[] example) throws Unsupported {
            this.network = network;
            this.conf = network.getConfiguration();
            if (conf.getNetworkOutputs().size() != 1) {
                throw new Unsupported("the network has " + conf.getNetworkOutputs().size() + " outputs");
            }
            INDArray[] one = new INDArray[example.length]; // shapes per example: one example is enough
            for (int i = 0; i < example.length; i++) {
                one[i] = example[i].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1));
            }
            network.feedForward(one, false).forEach((name, a) -> dl4jShapes.put(name, a.shape()));
            for (int i = 0; i < example.length; i++) {
                dl4jShapes.put(conf.getNetworkInputs().get(i), example[i].shape());
            }
            this.nhwc = layout();
            conf.getVertexInputs().forEach((vertex, ins) -> ins.forEach(i ->
                    consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(vertex)));
            if (network.getGradientsViewArray() == null) {
                network.initGradientsView();
            }
        }

        /** @return whether the network's image activations are NHWC; every layer that says must say the same */
        private boolean layout() throws Unsupported {
            CNN2DFormat found = null;
            for (String name : conf.getVertices().keySet()) {
                Layer l = unwrap(conf.getVertices().get(name));
                CNN2DFormat f = l instanceof ConvolutionLayer c ? c.getCnn2dDataFormat()
                        : l instanceof ZeroPaddingLayer z ? z.getDataFormat() : null;
                if (f == null) {
                    continue;
                }
                if (found != null && f != found) {
                    throw new Unsupported("the layer '" + name + "' is " + f + " but others are " + found);
                }
                found = f;
            }
            return found == CNN2DFormat.NHWC;
        }

        private static Layer unwrap(GraphVertex v) {
            if (!(v instanceof LayerVertex lv)) {
                return null;
            }
            Layer l = lv.getLayerConf().getLayer();
            if (l instanceof FrozenLayer f) {
                return f.getLayer();
            }
            return l instanceof FrozenLayerWithBackprop f ? f.getUnderlying() : l;
        }

        private static boolean frozen(GraphVertex v) {
            Layer l = ((LayerVertex) v).getLayerConf().getLayer();
            return l instanceof FrozenLayer || l instanceof FrozenLayerWithBackprop;
        }

        GradientGraph build() throws Unsupported {
            for (int i = 0; i < conf.getNetworkInputs().size(); i++) {
                String name = conf.getNetworkInputs().get(i);
                long[] perExample = perExample(dl4jShapes.get(name));
                g.input(name, perExample);
                inputs.add(name);
                String t = name;
                if (perExample.length == 3 && nhwc) {
                    t = g.node("Transpose", name + ":nchw", new String[]{name}, OnnxGraph.attr("perm", new long[]{0, 3, 1, 2}));
                }
                values.put(name, t);
                shapes.put(t, inside(perExample));
            }
            String output = conf.getNetworkOutputs().get(0);
            for (String name : conf.getTopologicalOrderStr()) {
                if (values.containsKey(name)) {
                    continue;
                }
                if (aliases.containsKey(name)) {
                    values.put(name, values.get(aliases.get(name)));
                    continue;
                }
                GraphVertex v = conf.getVertices().get(name);
                if (!writes(v)) {
                    throw new Unsupported("the vertex '" + name + "' is a " + (v instanceof LayerVertex
                            ? Builder.unwrap(v).getClass().getSimpleName() + (((LayerVertex) v).getPreProcessor() != null
                            ? " with an input preprocessor" : "") : v.getClass().getSimpleName()));
                }
                List<String> in = conf.getVertexInputs().get(name).stream().map(values::get).toList();
                String out;
                if (v instanceof LayerVertex lv) {
                    if (in.size() != 1) {
                        throw new Unsupported("the layer '" + name + "' has " + in.size() + " inputs");
                    }
                    out = layer(name, lv, in.get(0), name.equals(output));
                } else if (v instanceof ElementWiseVertex ew) {
                    out = elementWise(name, ew.getOp(), in);
                } else if (v instanceof PreprocessorVertex pv) {
                    out = flatten(name, (CnnToFeedForwardPreProcessor) pv.getPreProcessor(), in.get(0));
                } else {
                    out = merge(name, (MergeVertex) v, in);
                }
                values.put(name, out);
            }
            byte[] forward = g.toBytes();
            backward();
            List<Param> params = new ArrayList<>(constants);
            for (Trained t : trained.values()) {
                if (t.output == null) {
                    throw new Unsupported("the parameter " + t.key + " does not reach the loss");
                }
                params.add(new Param(t.key, t.value, t.gradient, t.input, t.output));
            }
            return new GradientGraph(forward, g.toBytes(), inputs, params, masks);
        }

        // ------------------------------------------------------------ bookkeeping

        private static long[] perExample(long[] shape) {
            return Arrays.copyOfRange(shape, 1, shape.length);
        }

        /** @return a per-example DL4J shape as the NCHW shape used inside */
        private long[] inside(long[] perExample) {
            return perExample.length == 3 && nhwc ? new long[]{perExample[2], perExample[0], perExample[1]} : perExample;
        }

        /** Records a forward node's output shape, whether it needs a gradient, and its backward step. */
        private String record(String out, long[] shape, boolean gradient, Backward backward) {
            shapes.put(out, shape);
            if (gradient) {
                needsGradient.add(out);
                tape.add(new Step(out, backward));
            }
            return out;
        }

        private void addGradient(String tensor, String gradient) {
            if (needsGradient.contains(tensor)) {
                gradients.computeIfAbsent(tensor, k -> new ArrayList<>()).add(gradient);
            }
        }

        private void backward() throws Unsupported {
            for (int i = tape.size() - 1; i >= 0; i--) {
                Step s = tape.get(i);
                List<String> parts = gradients.remove(s.output());
                if (parts == null) {
                    continue; // nothing downstream of it reaches the loss through a gradient
                }
                String dy = parts.size() == 1 ? parts.get(0) : g.node("Sum", s.output() + ":dsum", parts.toArray(String[]::new));
                s.backward().apply(dy);
            }
        }

        private String zero() {
            if (zero == null) {
                zero = g.scalar("zero", 0f);
            }
            return zero;
        }

        private String ints(String hint, long... v) {
            return g.int64s(hint, v);
        }

        /**
         * A parameter: a graph input in its DL4J shape when trained, else a constant; returned in the shape the graph
         * uses ({@code shape}; for a permuted one, the DL4J array permuted by {@code perm}, which must be its own inverse).
         */
        private String param(String layer, String key, GraphVertex v, long[] perm, long... shape) {
            INDArray value = network.getLayer(layer).getParam(key);
            if (!trained(layer, key, v)) {
                constants.add(view(layer, key, v));
                INDArray inGraph = perm == null ? value : value.permute(Arrays.stream(perm).mapToInt(i -> (int) i).toArray());
                return g.weights(layer + ":" + key, inGraph, shape);
            }
            INDArray gradient = view(layer, key, v).gradient();
            String input = g.fresh(layer + "/" + key);
            g.fixedInput(input, value.shape());
            String t = perm != null ? g.node("Transpose", input + ":t", new String[]{input}, OnnxGraph.attr("perm", perm))
                    : Arrays.equals(value.shape(), shape) ? input
                    : g.node("Reshape", input + ":r", new String[]{input, ints(input + ":shape", shape)});
            trained.put(t, new Trained(layer + "_" + key, value, gradient, input, perm));
            needsGradient.add(t);
            return t;
        }

        /** @return whether a parameter is trained: its layer is not frozen and its updater is not NoOp or SGD with rate 0 */
        private boolean trained(String layer, String key, GraphVertex v) {
            BaseLayer conf = (BaseLayer) unwrap(v);
            IUpdater updater = key.equals("b") && conf.getBiasUpdater() != null ? conf.getBiasUpdater() : conf.getIUpdater();
            return !frozen(v) && !(updater instanceof NoOp)
                    && !(updater instanceof Sgd sgd && sgd.getLearningRate() == 0 && sgd.getLearningRateSchedule() == null);
        }

        /** @return a parameter's DL4J value and gradient views, as an untrained parameter */
        private Param view(String layer, String key, GraphVertex v) {
            org.deeplearning4j.nn.api.Layer rt = network.getLayer(layer);
            BaseLayer conf = (BaseLayer) unwrap(v);
            INDArray gradient = conf.initializer().getGradientsFromFlattened(rt.conf(), rt.getGradientsViewArray()).get(key);
            return new Param(layer + "_" + key, rt.getParam(key), gradient, null, null);
        }

        /** Writes the gradient of a trained parameter (given in the graph's shape) as an output, in DL4J's shape. */
        private void paramGradient(String tensor, String gradient) {
            Trained p = trained.get(tensor);
            String out = p.perm == null ? gradient
                    : g.node("Transpose", p.input + ":gt", new String[]{gradient}, OnnxGraph.attr("perm", p.perm));
            p.output = g.node("Reshape", p.input + ":grad", new String[]{out, ints(p.input + ":gshape", p.value.shape())});
            g.fixedOutput(p.output, p.value.shape());
        }

        /** A trained parameter while the graph is built; its gradient output is set by the backward pass. */
        private static final class Trained {
            final String key;
            final INDArray value;
            final INDArray gradient;
            final String input;
            final long[] perm;
            String output;

            Trained(String key, INDArray value, INDArray gradient, String input, long[] perm) {
                this.key = key;
                this.value = value;
                this.gradient = gradient;
                this.input = input;
                this.perm = perm;
            }
        }

        // ------------------------------------------------------------ vertices

        private String layer(String name, LayerVertex vertex, String x, boolean output) throws Unsupported {
            Layer layer = unwrap(vertex);
            if (layer instanceof BaseLayer bl && bl.getWeightNoise() != null) {
                throw new Unsupported("the layer '" + name + "' has weight noise");
            }
            if (layer.getConstraints() != null && !layer.getConstraints().isEmpty()) {
                throw new Unsupported("the layer '" + name + "' has parameter constraints");
            }
            x = dropout(name, layer.getIDropout(), x);
            if (output) {
                if (layer.getClass() != OutputLayer.class) {
                    throw new Unsupported("the output layer '" + name + "' is a " + layer.getClass().getSimpleName());
                }
                return softmaxCrossEntropy(name, vertex, (OutputLayer) layer, x);
            }
            Class<?> kind = layer.getClass();
            if (kind == ConvolutionLayer.class || kind == DepthwiseConvolution2D.class) {
                return convolution(name, vertex, (ConvolutionLayer) layer, x);
            }
            if (kind == DenseLayer.class) {
                DenseLayer d = (DenseLayer) layer;
                if (d.hasLayerNorm()) {
                    throw new Unsupported("the dense layer '" + name + "' has layer normalisation");
                }
                return activation(name, d.getActivationFn(), dense(name, vertex, x, d.getNIn(), d.getNOut(), d.hasBias()));
            }
            if (kind == ActivationLayer.class || kind == OnnxActivationLayer.class) {
                return activation(name, ((ActivationLayer) layer).getActivationFn(), x);
            }
            if (kind == DropoutLayer.class) {
                return x; // its dropout was applied to its input above
            }
            if (kind == GlobalPoolingLayer.class) {
                return globalPooling(name, (GlobalPoolingLayer) layer, x);
            }
            if (kind == ZeroPaddingLayer.class) {
                return zeroPadding(name, ((ZeroPaddingLayer) layer).getPadding(), x);
            }
            throw new IllegalStateException("writes() accepted the layer '" + name + "', a " + kind.getSimpleName());
        }

        private String dropout(String name, IDropout dropout, String x) throws Unsupported {
            if (dropout == null) {
                return x;
            }
            if (dropout.getClass() != Dropout.class || ((Dropout) dropout).getPSchedule() != null) {
                throw new Unsupported("the layer '" + name + "' has the dropout " + dropout);
            }
            double retain = ((Dropout) dropout).getP();
            if (retain >= 1) {
                return x;
            }
            long[] shape = shapes.get(x);
            long[] dl4j = shape.length == 3 && nhwc ? new long[]{shape[1], shape[2], shape[0]} : shape;
            String mask = g.fresh(name + "/dropout");
            g.input(mask, dl4j);
            masks.add(new Mask(mask, dl4j, retain));
            String m = shape.length == 3 && nhwc
                    ? g.node("Transpose", mask + ":nchw", new String[]{mask}, OnnxGraph.attr("perm", new long[]{0, 3, 1, 2}))
                    : mask;
            String y = g.node("Mul", name + ":dropout", new String[]{x, m});
            return record(y, shape, needsGradient.contains(x), dy -> addGradient(x, g.node("Mul", name + ":ddropout", new String[]{dy, m})));
        }

        private String convolution(String name, LayerVertex v, ConvolutionLayer c, String x) throws Unsupported {
            boolean depthwise = c instanceof DepthwiseConvolution2D;
            long[] in = shapes.get(x);
            long[] out = inside(perExample(dl4jShapes.get(name)));
            long channels = in[0];
            int[] k = c.getKernelSize();
            int[] s = c.getStride();
            int[] d = c.getDilation();
            if (c.getConvolutionMode() != ConvolutionMode.Same && c.getConvolutionMode() != ConvolutionMode.Truncate
                    && c.getConvolutionMode() != ConvolutionMode.Strict) {
                throw new Unsupported("the convolution '" + name + "' uses the convolution mode " + c.getConvolutionMode());
            }
            long[] pads = OnnxExport.pads(k, s, c.getPadding(), d, c.getConvolutionMode(), in[1], in[2]);
            long group = 1;
            String w;
            if (depthwise) {
                INDArray dw = network.getLayer(name).getParam("W"); // [kH, kW, in, multiplier]
                if (dw.size(3) != 1) {
                    throw new Unsupported("the depthwise convolution '" + name + "' has depth multiplier " + dw.size(3));
                }
                group = channels;
                if (k[0] == 1 && k[1] == 1 && s[0] == 1 && s[1] == 1 && Arrays.stream(pads).allMatch(p -> p == 0)) {
                    return channelScale(name, v, c, x, in);
                }
                w = param(name, "W", v, new long[]{2, 3, 0, 1}, channels, 1, k[0], k[1]);
            } else {
                w = param(name, "W", v, null, out[0], channels, k[0], k[1]);
            }
            String b = c.hasBias() ? param(name, "b", v, null, out[0]) : null;
            Fold fold = fold(name, c, out[0]);
            String wc = w;
            String bc = b;
            String scaleW = null;
            String scaleB = null;
            if (fold != null) { // conv then scale and shift: one conv with scaled weights and shifted bias
                scaleW = g.weights(name + ":foldw", fold.scale(), out[0], 1, 1, 1);
                wc = g.node("Mul", name + ":wfold", new String[]{w, scaleW});
                String shift = g.weights(name + ":foldshift", fold.shift(), out[0]);
                if (b != null) {
                    scaleB = g.weights(name + ":foldb", fold.scale(), out[0]);
                    bc = g.node("Add", name + ":bfold", new String[]{g.node("Mul", name + ":bscale", new String[]{b, scaleB}), shift});
                } else {
                    bc = shift;
                }
                aliases.put(fold.vertex(), name);
            }
            String[] args = {x, wc, bc};
            if (bc == null) {
                args = new String[]{x, wc};
            }
            String z = g.node("Conv", name + ":conv", args, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                    OnnxGraph.attr("strides", new long[]{s[0], s[1]}), OnnxGraph.attr("dilations", new long[]{d[0], d[1]}),
                    OnnxGraph.attr("pads", pads), OnnxGraph.attr("group", group));
            boolean grad = needsGradient.contains(x) || needsGradient.contains(w) || (b != null && needsGradient.contains(b));
            long groups = group;
            Conv conv = new Conv(name, x, w, wc, scaleW, b, scaleB, in, out, k, s, d, pads, groups);
            record(z, out, grad, dz -> convolutionBackward(conv, dz));
            return activation(name, c.getActivationFn(), z);
        }

        /** A convolution as the backward pass needs it; {@code wc} is the kernel used (w times scaleW when folded). */
        private record Conv(String name, String x, String w, String wc, String scaleW, String b, String scaleB, long[] in,
                            long[] out, int[] k, int[] s, int[] d, long[] pads, long group) {
        }

        /** A batch-normalisation stand-in folded into the convolution before it: its vertex, scale and shift. */
        private record Fold(String vertex, INDArray scale, INDArray shift) {
        }

        /**
         * @return the frozen per-channel scale and shift (a 1x1 depthwise convolution with multiplier 1, no padding, no
         *         dropout, identity activation, parameters not trained) that is the only consumer of a convolution with
         *         the identity activation, or null
         */
        private Fold fold(String conv, ConvolutionLayer c, long channels) {
            List<String> users = consumers.getOrDefault(conv, List.of());
            if (!(c.getActivationFn() == null || c.getActivationFn() instanceof ActivationIdentity) || users.size() != 1
                    || conf.getNetworkOutputs().contains(conv)) {
                return null;
            }
            String name = users.get(0);
            GraphVertex v = conf.getVertices().get(name);
            if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null || !(unwrap(v) instanceof DepthwiseConvolution2D dw)
                    || conf.getNetworkOutputs().contains(name)) {
                return null;
            }
            boolean identity = dw.getActivationFn() == null || dw.getActivationFn() instanceof ActivationIdentity;
            boolean noDropout = dw.getIDropout() == null
                    || (dw.getIDropout() instanceof Dropout dr && dr.getP() >= 1 && dr.getPSchedule() == null);
            INDArray w = network.getLayer(name).getParam("W");
            long[] pads = OnnxExport.pads(dw.getKernelSize(), dw.getStride(), dw.getPadding(), dw.getDilation(),
                    dw.getConvolutionMode(), 1, 1);
            if (!identity || !noDropout || w.length() != channels || dw.getStride()[0] != 1 || dw.getStride()[1] != 1
                    || Arrays.stream(pads).anyMatch(p -> p != 0) || trained(name, "W", v)
                    || (dw.hasBias() && trained(name, "b", v))) {
                return null;
            }
            constants.add(view(name, "W", v));
            INDArray shift = org.nd4j.linalg.factory.Nd4j.zeros(w.dataType(), channels);
            if (dw.hasBias()) {
                constants.add(view(name, "b", v));
                shift = network.getLayer(name).getParam("b").reshape(channels);
            }
            return new Fold(name, w.reshape(channels), shift);
        }

        /** A 1x1 depthwise convolution with multiplier 1 and no padding: {@code x * w + b} per channel. */
        private String channelScale(String name, GraphVertex v, ConvolutionLayer c, String x, long[] in) throws Unsupported {
            long ch = in[0];
            String w = param(name, "W", v, null, 1, ch, 1, 1);
            String b = c.hasBias() ? param(name, "b", v, null, 1, ch, 1, 1) : null;
            String z = g.node("Mul", name + ":scale", new String[]{x, w});
            if (b != null) {
                z = g.node("Add", name + ":shift", new String[]{z, b});
            }
            boolean grad = needsGradient.contains(x) || needsGradient.contains(w) || (b != null && needsGradient.contains(b));
            String bias = b;
            record(z, in, grad, dz -> {
                addGradient(x, g.node("Mul", name + ":dx", new String[]{dz, w}));
                if (needsGradient.contains(w)) {
                    paramGradient(w, g.node("ReduceSum", name + ":dW", new String[]{g.node("Mul", name + ":dzx",
                            new String[]{dz, x}), ints(name + ":axes", 0, 2, 3)}));
                }
                if (bias != null && needsGradient.contains(bias)) {
                    paramGradient(bias, g.node("ReduceSum", name + ":db", new String[]{dz, ints(name + ":baxes", 0, 2, 3)}));
                }
            });
            return activation(name, c.getActivationFn(), z);
        }

        private void convolutionBackward(Conv c, String dz) throws Unsupported {
            String name = c.name();
            String x = c.x();
            String w = c.wc();
            long[] in = c.in();
            long[] out = c.out();
            int[] k = c.k();
            int[] s = c.s();
            int[] d = c.d();
            long[] pads = c.pads();
            long group = c.group();
            boolean pointwise = k[0] == 1 && k[1] == 1 && s[0] == 1 && s[1] == 1 && Arrays.stream(pads).allMatch(p -> p == 0);
            if (c.b() != null && needsGradient.contains(c.b())) {
                paramGradient(c.b(), scaled(name + ":dbs", g.node("ReduceSum", name + ":db", new String[]{dz,
                        ints(name + ":baxes", 0, 2, 3)}, OnnxGraph.attr("keepdims", 0L)), c.scaleB()));
            }
            if (needsGradient.contains(c.w())) {
                paramGradient(c.w(), scaled(name + ":dws", group == 1 ? weightGradient(name, x, dz, in, out, k, s, d, pads, pointwise)
                        : depthwiseWeightGradient(name, x, dz, in, out, k, s, d, pads), c.scaleW()));
            }
            if (!needsGradient.contains(x)) {
                return;
            }
            String dx;
            if (s[0] == 1 && s[1] == 1) { // a stride-1 convolution of dz with the flipped kernel
                long[] back = new long[4];
                for (int a = 0; a < 2; a++) {
                    long reach = (long) (k[a] - 1) * d[a];
                    back[a] = reach - pads[a];
                    back[a + 2] = reach - pads[a + 2];
                }
                if (Arrays.stream(back).anyMatch(p -> p < 0)) {
                    throw new Unsupported("the convolution '" + name + "' pads more than its kernel reaches");
                }
                String kernel = group == 1 && pointwise ? w : flip(name, w);
                if (group == 1) {
                    kernel = g.node("Transpose", name + ":wt", new String[]{kernel}, OnnxGraph.attr("perm", new long[]{1, 0, 2, 3}));
                }
                dx = g.node("Conv", name + ":dx", new String[]{dz, kernel}, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                        OnnxGraph.attr("dilations", new long[]{d[0], d[1]}), OnnxGraph.attr("pads", back),
                        OnnxGraph.attr("group", group));
            } else {
                long[] extra = new long[2];
                for (int a = 0; a < 2; a++) {
                    long reach = (long) (k[a] - 1) * d[a] + 1;
                    extra[a] = in[a + 1] - (s[a] * (out[a + 1] - 1) + reach - pads[a] - pads[a + 2]);
                    if (extra[a] < 0 || extra[a] >= s[a]) {
                        throw new Unsupported("the strided convolution '" + name + "' leaves " + extra[a] + " input rows unread");
                    }
                }
                dx = g.node("ConvTranspose", name + ":dx", new String[]{dz, w}, OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}),
                        OnnxGraph.attr("strides", new long[]{s[0], s[1]}), OnnxGraph.attr("dilations", new long[]{d[0], d[1]}),
                        OnnxGraph.attr("pads", pads), OnnxGraph.attr("output_padding", extra), OnnxGraph.attr("group", group));
            }
            addGradient(x, dx);
        }

        private String scaled(String hint, String gradient, String scale) {
            return scale == null ? gradient : g.node("Mul", hint, new String[]{gradient, scale});
        }

        /** @return the kernel rotated by 180 degrees in its two spatial axes */
        private String flip(String name, String w) {
            return g.node("Slice", name + ":flip", new String[]{w, ints(name + ":fs", -1, -1),
                    ints(name + ":fe", Long.MIN_VALUE, Long.MIN_VALUE), ints(name + ":fa", 2, 3), ints(name + ":fst", -1, -1)});
        }

        /** @return x (padded) shifted by one kernel offset and subsampled by the stride: [N, C, outH, outW] */
        private String tap(String name, String xp, long[] out, int[] s, int[] d, int i, int j) {
            long h0 = (long) i * d[0];
            long w0 = (long) j * d[1];
            return g.node("Slice", name + ":tap", new String[]{xp, ints(name + ":ts", h0, w0),
                    ints(name + ":te", h0 + (out[1] - 1) * s[0] + 1, w0 + (out[2] - 1) * s[1] + 1), ints(name + ":ta", 2, 3),
                    ints(name + ":tst", s[0], s[1])});
        }

        private String padded(String name, String x, long[] pads) {
            if (Arrays.stream(pads).allMatch(p -> p == 0)) {
                return x;
            }
            return g.node("Pad", name + ":xpad", new String[]{x, ints(name + ":pads", 0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3])});
        }

        /** @return sum over the batch of dz[n] (O x P) times x[n] transposed (P x C): [O, C] */
        private String contract(String name, String dz, String x, long outChannels, long inChannels) {
            String xr = g.node("Reshape", name + ":xr", new String[]{x, ints(name + ":xs", 0, inChannels, -1)});
            String xt = g.node("Transpose", name + ":xt", new String[]{xr}, OnnxGraph.attr("perm", new long[]{0, 2, 1}));
            String zr = g.node("Reshape", name + ":zr", new String[]{dz, ints(name + ":zs", 0, outChannels, -1)});
            String per = g.node("MatMul", name + ":dwn", new String[]{zr, xt});
            return g.node("ReduceSum", name + ":dwsum", new String[]{per, ints(name + ":n", 0)}, OnnxGraph.attr("keepdims", 0L));
        }

        private String weightGradient(String name, String x, String dz, long[] in, long[] out, int[] k, int[] s, int[] d,
                                      long[] pads, boolean pointwise) {
            if (pointwise) {
                return g.node("Reshape", name + ":dw", new String[]{contract(name, dz, x, out[0], in[0]),
                        ints(name + ":dwshape", out[0], in[0], 1, 1)});
            }
            String xp = padded(name, x, pads);
            List<String> taps = new ArrayList<>();
            for (int i = 0; i < k[0]; i++) {
                for (int j = 0; j < k[1]; j++) {
                    String part = contract(name, dz, tap(name, xp, out, s, d, i, j), out[0], in[0]);
                    taps.add(g.node("Unsqueeze", name + ":dwu", new String[]{part, ints(name + ":ua", 2)}));
                }
            }
            String all = taps.size() == 1 ? taps.get(0) : g.node("Concat", name + ":dwcat", taps.toArray(String[]::new),
                    OnnxGraph.attr("axis", 2L));
            return g.node("Reshape", name + ":dw", new String[]{all, ints(name + ":dwshape", out[0], in[0], k[0], k[1])});
        }

        /**
         * The depthwise kernel's gradient: a depthwise convolution with constant one-hot kernels lays the input's kH x kW
         * shifted (and strided) views side by side as channels, [N, C * kH * kW, outH, outW]; one batched matrix-vector
         * product per example and channel with dz sums each view against it, and the sum over the batch is the
         * gradient. The shifted views are written once and read once, with no element-wise passes over them.
         */
        private String depthwiseWeightGradient(String name, String x, String dz, long[] in, long[] out, int[] k, int[] s,
                                               int[] d, long[] pads) {
            long c = in[0];
            long taps = (long) k[0] * k[1];
            INDArray oneHot = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, c * taps, 1, k[0], k[1]);
            for (long ch = 0; ch < c; ch++) {
                for (int t = 0; t < taps; t++) {
                    oneHot.putScalar(new long[]{ch * taps + t, 0, t / k[1], t % k[1]}, 1f);
                }
            }
            String views = g.node("Conv", name + ":views", new String[]{x, g.weights(name + ":onehot", oneHot)},
                    OnnxGraph.attr("kernel_shape", new long[]{k[0], k[1]}), OnnxGraph.attr("strides", new long[]{s[0], s[1]}),
                    OnnxGraph.attr("dilations", new long[]{d[0], d[1]}), OnnxGraph.attr("pads", pads), OnnxGraph.attr("group", c));
            String v = g.node("Reshape", name + ":vr", new String[]{views, ints(name + ":vs", 0, c, taps, out[1] * out[2])});
            String z = g.node("Reshape", name + ":zr", new String[]{dz, ints(name + ":zs", 0, c, out[1] * out[2], 1)});
            String per = g.node("MatMul", name + ":dwn", new String[]{v, z}); // [N, C, taps, 1]
            String sum = g.node("ReduceSum", name + ":dwsum", new String[]{per, ints(name + ":n", 0)},
                    OnnxGraph.attr("keepdims", 0L));
            return g.node("Reshape", name + ":dw", new String[]{sum, ints(name + ":dwshape", c, 1, k[0], k[1])});
        }

        private String dense(String name, GraphVertex v, String x, long nIn, long nOut, boolean bias) {
            String w = param(name, "W", v, null, nIn, nOut);
            String b = bias ? param(name, "b", v, null, nOut) : null;
            String z = g.node("Gemm", name + ":gemm", b == null ? new String[]{x, w} : new String[]{x, w, b});
            boolean grad = needsGradient.contains(x) || needsGradient.contains(w) || (b != null && needsGradient.contains(b));
            return record(z, new long[]{nOut}, grad, dz -> {
                if (needsGradient.contains(w)) {
                    paramGradient(w, g.node("Gemm", name + ":dW", new String[]{x, dz}, OnnxGraph.attr("transA", 1L)));
                }
                if (b != null && needsGradient.contains(b)) {
                    paramGradient(b, g.node("ReduceSum", name + ":db", new String[]{dz, ints(name + ":baxes", 0)},
                            OnnxGraph.attr("keepdims", 0L)));
                }
                addGradient(x, g.node("Gemm", name + ":dx", new String[]{dz, w}, OnnxGraph.attr("transB", 1L)));
            });
        }

        private String softmaxCrossEntropy(String name, GraphVertex v, OutputLayer layer, String x) throws Unsupported {
            if (!(layer.getActivationFn() instanceof ActivationSoftmax) || layer.getLossFn().getClass() != LossMCXENT.class) {
                throw new Unsupported("the output layer '" + name + "' is not softmax with multi-class cross-entropy");
            }
            long classes = layer.getNOut();
            String logits = dense(name, v, x, layer.getNIn(), classes, layer.hasBias());
            String p = g.node("Softmax", PROBABILITIES, new String[]{logits}, OnnxGraph.attr("axis", 1L));
            g.output(p, new long[]{classes});
            g.input(LABELS, new long[]{classes});
            String y = LABELS;
            INDArray weights = ((LossMCXENT) layer.getLossFn()).getWeights();
            if (weights != null) {
                y = g.node("Mul", name + ":weighted", new String[]{y, g.weights(name + ":classweights", weights, 1, classes)});
            }
            String logp = g.node("LogSoftmax", name + ":logp", new String[]{logits}, OnnxGraph.attr("axis", 1L));
            String loss = g.node("Neg", LOSS, new String[]{g.node("ReduceSum", name + ":ylogp",
                    new String[]{g.node("Mul", name + ":yl", new String[]{y, logp})}, OnnxGraph.attr("keepdims", 0L))});
            g.fixedOutput(loss, new long[0]);
            // d loss / d logits = p * sum_k(y_k w_k) - y w
            String total = g.node("ReduceSum", name + ":ysum", new String[]{y, ints(name + ":classaxis", 1)});
            String dz = g.node("Sub", name + ":dlogits", new String[]{g.node("Mul", name + ":py", new String[]{p, total}), y});
            gradients.computeIfAbsent(logits, t -> new ArrayList<>()).add(dz);
            return loss;
        }

        private String activation(String name, IActivation fn, String z) throws Unsupported {
            if (fn == null || fn instanceof ActivationIdentity) {
                return z;
            }
            long[] shape = shapes.get(z);
            String forward = ActivationExport.unsupported(fn, shape.length + 1);
            if (forward != null) {
                throw new Unsupported("the layer '" + name + "' has an activation the graph cannot write: " + forward);
            }
            String y = ActivationExport.emit(g, name, fn, z);
            String out = y;
            return record(y, shape, needsGradient.contains(z), dy -> addGradient(z, derivative(name, fn, shape.length, z, out, dy)));
        }

        /**
         * @return the gradient of the activation's input, from its output {@code y} (or input {@code z})
         * @throws Unsupported for an activation whose derivative is not written (only where a gradient must pass it)
         */
        private String derivative(String name, IActivation fn, int rank, String z, String y, String dy) throws Unsupported {
            if (fn instanceof ActivationReLU r) {
                double slope = r.getNegativeSlope() == null ? 0 : r.getNegativeSlope();
                if (slope == 0) {
                    return r.getMax() == null ? g.node("Mul", name + ":dact", new String[]{dy, step(name, y)})
                            : passBetween(name, y, 0, r.getMax().floatValue(), dy);
                }
                String leaky = leaky(name, y, (float) slope, dy);
                return r.getMax() == null ? leaky : where(name, g.node("Less", name + ":belowmax", new String[]{y,
                        g.scalar(name + ":max", r.getMax().floatValue())}), leaky);
            }
            if (fn instanceof ActivationReLU6) {
                return passBetween(name, y, 0, 6, dy);
            }
            if (fn instanceof ActivationClip c) {
                return passBetween(name, y, (float) c.getMin(), (float) c.getMax(), dy);
            }
            if (fn instanceof ActivationOnnxHardSigmoid h) { // y = clip(alpha z + beta, 0, 1)
                return g.node("Mul", name + ":dhs", new String[]{passBetween(name, y, 0, 1, dy),
                        g.scalar(name + ":a", (float) h.getAlpha())});
            }
            if (fn instanceof ActivationOnnxHardSwish) { // y = z clip(z / 6 + 1/2, 0, 1): slope 0 below -3, 1 above 3
                String inner = g.node("Add", name + ":zs", new String[]{g.node("Mul", name + ":z3", new String[]{z,
                        g.scalar(name + ":third", 1f / 3)}), g.scalar(name + ":half", 0.5f)});
                String slope = g.node("Where", name + ":low", new String[]{g.node("Less", name + ":below", new String[]{z,
                        g.scalar(name + ":m3", -3f)}), zero(), g.node("Where", name + ":high", new String[]{g.node("Greater",
                        name + ":above", new String[]{z, g.scalar(name + ":p3", 3f)}), g.scalar(name + ":one", 1f), inner})});
                return g.node("Mul", name + ":dhswish", new String[]{dy, slope});
            }
            if (fn instanceof ActivationHardTanH) {
                return passBetween(name, y, -1, 1, dy);
            }
            if (fn instanceof ActivationLReLU l) {
                return leaky(name, y, (float) l.getAlpha(), dy);
            }
            if (fn instanceof ActivationELU e) { // y > 0: 1; else y + alpha
                String slope = g.node("Add", name + ":eslope", new String[]{y, g.scalar(name + ":alpha", (float) e.getAlpha())});
                return g.node("Where", name + ":delu", new String[]{g.node("Greater", name + ":pos", new String[]{y, zero()}),
                        dy, g.node("Mul", name + ":dneg", new String[]{dy, slope})});
            }
            if (fn instanceof ActivationSigmoid) {
                return g.node("Mul", name + ":dsig", new String[]{dy, sigmoidSlope(name, y)});
            }
            if (fn instanceof ActivationHardSigmoid) { // y = clip(0.2 z + 0.5, 0, 1)
                return g.node("Mul", name + ":dhs", new String[]{passBetween(name, y, 0, 1, dy), g.scalar(name + ":a", 0.2f)});
            }
            if (fn instanceof ActivationTanH) {
                String one = g.scalar(name + ":one", 1f);
                return g.node("Mul", name + ":dtanh", new String[]{dy, g.node("Sub", name + ":1my2", new String[]{one,
                        g.node("Mul", name + ":y2", new String[]{y, y})})});
            }
            if (fn instanceof ActivationSwish) { // y = z s(z): dy (s + y (1 - s))
                String sig = g.node("Sigmoid", name + ":s", new String[]{z});
                String one = g.scalar(name + ":one", 1f);
                String slope = g.node("Add", name + ":sw", new String[]{sig, g.node("Mul", name + ":ys", new String[]{y,
                        g.node("Sub", name + ":1ms", new String[]{one, sig})})});
                return g.node("Mul", name + ":dswish", new String[]{dy, slope});
            }
            if (!(fn instanceof ActivationSoftmax) || rank != 1) {
                throw new Unsupported("the layer '" + name + "' has the activation " + fn + ", whose derivative is not written");
            }
            // softmax over features: y (dy - sum(dy y))
            String dot = g.node("ReduceSum", name + ":dyy", new String[]{g.node("Mul", name + ":dyym", new String[]{dy, y}),
                    ints(name + ":faxis", 1)});
            return g.node("Mul", name + ":dsoftmax", new String[]{y, g.node("Sub", name + ":dmd", new String[]{dy, dot})});
        }

        private String sigmoidSlope(String name, String y) {
            String one = g.scalar(name + ":one", 1f);
            return g.node("Mul", name + ":ss", new String[]{y, g.node("Sub", name + ":1my", new String[]{one, y})});
        }

        private String where(String name, String condition, String dy) {
            return g.node("Where", name + ":dact", new String[]{condition, dy, zero()});
        }

        /**
         * @return dy where {@code low < y < high}, else 0, for an output clipped to [low, high]: there
         *         {@code (y - low)(high - y)} is positive inside and 0 at either bound, so {@link #step} of it is the mask
         *         (two arithmetic passes and one clip instead of comparisons and a select, which ONNX Runtime runs far
         *         slower)
         */
        private String passBetween(String name, String y, float low, float high, String dy) {
            String above = low == 0 ? y : g.node("Sub", name + ":above", new String[]{y, g.scalar(name + ":low", low)});
            String below = g.node("Sub", name + ":below", new String[]{g.scalar(name + ":high", high), y});
            String margin = g.node("Mul", name + ":margin", new String[]{above, below});
            return g.node("Mul", name + ":dact", new String[]{dy, step(name, margin)});
        }

        /**
         * @return 1 where {@code m > 0}, 0 where {@code m <= 0}, for {@code m} at least 0 or at most 0 as the masks
         *         give it: {@code clip(1e30 m, 0, 1)} in one vectorised operation ({@code Sign} is not). Only a positive
         *         {@code m} below 1e-30 gets a value between 0 and 1; the masks' {@code m} is that small only within
         *         about 1e-30 of the activation's bend, where any value from 0 to 1 is a valid derivative.
         */
        private String step(String name, String m) {
            return g.node("HardSigmoid", name + ":step", new String[]{m}, OnnxGraph.attr("alpha", 1e30f),
                    OnnxGraph.attr("beta", 0f));
        }

        private String leaky(String name, String y, float slope, String dy) {
            return g.node("Where", name + ":dleaky", new String[]{g.node("Greater", name + ":pos", new String[]{y, zero()}),
                    dy, g.node("Mul", name + ":dslope", new String[]{dy, g.scalar(name + ":slope", slope)})});
        }

        private String globalPooling(String name, GlobalPoolingLayer p, String x) throws Unsupported {
            long[] in = shapes.get(x);
            if (in.length != 3) {
                throw new Unsupported("the global pooling '" + name + "' is not over the spatial dimensions of an image");
            }
            int[] dims = p.getPoolingDimensions();
            int[] spatial = nhwc ? new int[]{1, 2} : new int[]{2, 3};
            if (dims != null && !Arrays.equals(dims, spatial)) {
                throw new Unsupported("the global pooling '" + name + "' pools the dimensions " + Arrays.toString(dims));
            }
            boolean collapse = p.isCollapseDimensions(); // else [C, 1, 1] per example
            long keep = collapse ? 0 : 1;
            String axes = ints(name + ":axes", 2, 3);
            long[] out = collapse ? new long[]{in[0]} : new long[]{in[0], 1, 1};
            return switch (p.getPoolingType()) {
                case AVG, SUM -> {
                    boolean avg = p.getPoolingType() == org.deeplearning4j.nn.conf.layers.PoolingType.AVG;
                    String y = avg ? g.node("ReduceMean", name + ":gap", new String[]{x}, OnnxGraph.attr("axes", new long[]{2, 3}),
                            OnnxGraph.attr("keepdims", keep))
                            : g.node("ReduceSum", name + ":gsp", new String[]{x, axes}, OnnxGraph.attr("keepdims", keep));
                    yield record(y, out, needsGradient.contains(x), dy -> {
                        String spread = collapse ? g.node("Unsqueeze", name + ":du", new String[]{dy, ints(name + ":uaxes", 2, 3)}) : dy;
                        if (avg) {
                            spread = g.node("Mul", name + ":dmean", new String[]{spread, g.scalar(name + ":area", 1f / (in[1] * in[2]))});
                        }
                        addGradient(x, g.node("Expand", name + ":dx", new String[]{spread, g.node("Shape", name + ":xshape", new String[]{x})}));
                    });
                }
                case MAX -> {
                    String y = g.node("ReduceMax", name + ":gmp", new String[]{x}, OnnxGraph.attr("axes", new long[]{2, 3}),
                            OnnxGraph.attr("keepdims", keep));
                    yield record(y, out, needsGradient.contains(x), dy -> {
                        String max = collapse ? g.node("Unsqueeze", name + ":mu", new String[]{y, ints(name + ":uaxes", 2, 3)}) : y;
                        String spread = collapse ? g.node("Unsqueeze", name + ":du", new String[]{dy, ints(name + ":duaxes", 2, 3)}) : dy;
                        addGradient(x, g.node("Where", name + ":dx", new String[]{g.node("Equal", name + ":argmax",
                                new String[]{x, max}), spread, zero()}));
                    });
                }
                default -> throw new Unsupported("the global pooling '" + name + "' is of type " + p.getPoolingType());
            };
        }

        /** DL4J's {@link CnnToFeedForwardPreProcessor}: an image flattened in the C order of its DL4J layout. */
        private String flatten(String name, CnnToFeedForwardPreProcessor pre, String x) {
            long[] in = shapes.get(x);
            if (in.length != 3) {
                return x; // DL4J passes anything but an image through
            }
            boolean channelsLast = pre.getFormat() == CNN2DFormat.NHWC;
            String t = channelsLast ? g.node("Transpose", name + ":nhwc", new String[]{x}, OnnxGraph.attr("perm", new long[]{0, 2, 3, 1})) : x;
            String y = g.node("Flatten", name + ":flatten", new String[]{t}, OnnxGraph.attr("axis", 1L));
            return record(y, new long[]{in[0] * in[1] * in[2]}, needsGradient.contains(x), dy -> {
                if (channelsLast) {
                    String r = g.node("Reshape", name + ":dr", new String[]{dy, ints(name + ":ds", -1, in[1], in[2], in[0])});
                    addGradient(x, g.node("Transpose", name + ":dx", new String[]{r}, OnnxGraph.attr("perm", new long[]{0, 3, 1, 2})));
                } else {
                    addGradient(x, g.node("Reshape", name + ":dx", new String[]{dy, ints(name + ":ds", -1, in[0], in[1], in[2])}));
                }
            });
        }

        private String zeroPadding(String name, int[] p, String x) { // top, bottom, left, right
            long[] in = shapes.get(x);
            String y = g.node("Pad", name + ":pad", new String[]{x, ints(name + ":pads", 0, 0, p[0], p[2], 0, 0, p[1], p[3])});
            long[] out = {in[0], in[1] + p[0] + p[1], in[2] + p[2] + p[3]};
            return record(y, out, needsGradient.contains(x), dy -> addGradient(x, g.node("Slice", name + ":dx",
                    new String[]{dy, ints(name + ":s", p[0], p[2]), ints(name + ":e", p[0] + in[1], p[2] + in[2]),
                            ints(name + ":a", 2, 3)})));
        }

        private String elementWise(String name, ElementWiseVertex.Op op, List<String> in) throws Unsupported {
            long[] shape = shapes.get(in.get(0));
            boolean grad = in.stream().anyMatch(needsGradient::contains);
            String[] args = in.toArray(String[]::new);
            switch (op) {
                case Add, Average -> {
                    String y = in.size() == 2 ? g.node("Add", name, args) : g.node("Sum", name, args);
                    if (op == ElementWiseVertex.Op.Average) {
                        y = g.node("Mul", name + ":mean", new String[]{y, g.scalar(name + ":n", 1f / in.size())});
                    }
                    return record(y, shape, grad, dy -> {
                        String d = op == ElementWiseVertex.Op.Add ? dy
                                : g.node("Mul", name + ":dmean", new String[]{dy, g.scalar(name + ":dn", 1f / in.size())});
                        for (String x : in) {
                            addGradient(x, d);
                        }
                    });
                }
                case Subtract -> {
                    if (in.size() != 2) {
                        throw new Unsupported("the vertex '" + name + "' subtracts " + in.size() + " inputs");
                    }
                    return record(g.node("Sub", name, args), shape, grad, dy -> {
                        addGradient(in.get(0), dy);
                        addGradient(in.get(1), g.node("Neg", name + ":dneg", new String[]{dy}));
                    });
                }
                case Product -> {
                    if (in.size() != 2) {
                        throw new Unsupported("the vertex '" + name + "' multiplies " + in.size() + " inputs");
                    }
                    return record(g.node("Mul", name, args), shape, grad, dy -> {
                        addGradient(in.get(0), g.node("Mul", name + ":da", new String[]{dy, in.get(1)}));
                        addGradient(in.get(1), g.node("Mul", name + ":db", new String[]{dy, in.get(0)}));
                    });
                }
                case Max -> {
                    if (in.size() != 2) {
                        throw new Unsupported("the vertex '" + name + "' takes the maximum of " + in.size() + " inputs");
                    }
                    return record(g.node("Max", name, args), shape, grad, dy -> {
                        String first = g.node("GreaterOrEqual", name + ":first", args);
                        addGradient(in.get(0), g.node("Where", name + ":da", new String[]{first, dy, zero()}));
                        addGradient(in.get(1), g.node("Where", name + ":db", new String[]{first, zero(), dy}));
                    });
                }
                default -> throw new Unsupported("the vertex '" + name + "' is an element-wise " + op);
            }
        }

        private String merge(String name, MergeVertex m, List<String> in) {
            long[] first = shapes.get(in.get(0));
            int axis = m.getMergeAxis();
            if (first.length == 3 && nhwc) {
                axis = new int[]{0, 2, 3, 1}[axis];
            }
            int a = axis;
            long[] out = first.clone();
            out[a - 1] = in.stream().mapToLong(t -> shapes.get(t)[a - 1]).sum();
            String y = g.node("Concat", name, in.toArray(String[]::new), OnnxGraph.attr("axis", (long) a));
            return record(y, out, in.stream().anyMatch(needsGradient::contains), dy -> {
                long start = 0;
                for (String x : in) {
                    long size = shapes.get(x)[a - 1];
                    addGradient(x, g.node("Slice", name + ":dx", new String[]{dy, ints(name + ":s", start),
                            ints(name + ":e", start + size), ints(name + ":a", a)}));
                    start += size;
                }
            });
        }
    }
}
