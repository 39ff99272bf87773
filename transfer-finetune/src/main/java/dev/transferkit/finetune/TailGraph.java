package dev.transferkit.finetune;

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
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.enums.PadMode;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A DL4J tail network (the trainable part of a fine-tuning phase) written out as a SameDiff graph, whose
 * convolutions, depthwise convolutions and their gradients run as ND4J's native ops (oneDNN where the ND4J build has
 * it) instead of DL4J's layer implementations (im2col and gemm even for 1x1 convolutions, permutes around every NHWC
 * layer). The graph computes the same function as the network: the same layers with the same parameters, inverted
 * dropout on the same layer inputs, and the network's softmax cross-entropy (with its class weights) summed over the
 * batch, whose gradient is what DL4J's updater expects before it divides by the batch size.
 *
 * <p>Only what the translation understands is accepted; {@link #translate} throws {@link Unsupported} naming the first
 * vertex it does not, and the caller trains through DL4J instead.
 */
final class TailGraph {
    static final String PROBABILITIES = "tail:probabilities";
    static final String LOSS = "tail:loss";
    private static final String LABELS = "tail:labels";
    private static final long CACHE_BYTES = 256L << 20;

    /**
     * One parameter of the network: its DL4J views and the SameDiff variable holding a copy, laid out as the DL4J
     * array permuted by {@code order} (null: as it is).
     */
    record Param(String key, INDArray value, INDArray gradient, String variable, boolean trained, int[] order) {
        /** @return the DL4J value in the SameDiff variable's layout */
        INDArray toSameDiff() {
            return order == null ? value.reshape(sameDiffShape()) : value.permute(order);
        }

        /** Writes a gradient computed by SameDiff into the DL4J gradient view. */
        void gradientFromSameDiff(INDArray g) {
            if (order == null) {
                gradient.assign(g.reshape(gradient.shape()));
            } else {
                int[] inverse = new int[order.length];
                for (int i = 0; i < order.length; i++) {
                    inverse[order[i]] = i;
                }
                gradient.assign(g.permute(inverse));
            }
        }

        private long[] sameDiffShape() {
            return key.endsWith("_b") ? new long[]{value.length()} : value.shape();
        }
    }

    /** A dropout on a layer's input: the mask placeholder's name and the retain probability. */
    record Mask(String placeholder, double retain) {
    }

    /** Why a network cannot be translated, naming the vertex. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    final SameDiff sd;
    final List<String> inputs;
    final String labels = LABELS;
    final List<Param> params;
    final List<Mask> masks;

    private TailGraph(SameDiff sd, List<String> inputs, List<Param> params, List<Mask> masks) {
        this.sd = sd;
        this.inputs = inputs;
        this.params = params;
        this.masks = masks;
    }

    /** @return the names of the variables whose gradients training needs */
    List<String> trainedVariables() {
        return params.stream().filter(Param::trained).map(Param::variable).toList();
    }

    /**
     * Writes a network as a SameDiff graph.
     *
     * @param network  the tail network; one output, an {@link OutputLayer} with softmax and {@link LossMCXENT}
     * @param example  one batch of its inputs (their ranks and sizes, not their values, are used)
     * @param maxBytes the most a SameDiff step on a batch of the example's size may need
     *                 ({@link TailTrainer#MEMORY_PER_ACTIVATION_BYTE}); checked before anything is built
     * @return the graph
     * @throws Unsupported naming the first vertex, layer, activation or setting it cannot write, or the memory needed
     */
    static TailGraph translate(ComputationGraph network, INDArray[] example, long maxBytes) throws Unsupported {
        ComputationGraphConfiguration conf = network.getConfiguration();
        if (conf.getNetworkOutputs().size() != 1) {
            throw new Unsupported("the network has " + conf.getNetworkOutputs().size() + " outputs");
        }
        Map<String, long[]> shapes = new HashMap<>();
        network.feedForward(example, false).forEach((name, a) -> shapes.put(name, a.shape()));
        long perImage = shapes.values().stream().mapToLong(s -> java.util.Arrays.stream(s).skip(1).reduce(4, (a, b) -> a * b)).sum();
        long need = TailTrainer.MEMORY_PER_ACTIVATION_BYTE * perImage * example[0].size(0);
        if (need > maxBytes) {
            throw new Unsupported(String.format(
                    "its SameDiff form would need about %.1f GB for a batch of %d (%.1f MB of activations per image), more than %.1f GB",
                    need / 1e9, example[0].size(0), perImage / 1e6, maxBytes / 1e9));
        }
        if (network.getGradientsViewArray() == null) {
            network.initGradientsView();
        }
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> values = new HashMap<>();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < conf.getNetworkInputs().size(); i++) {
            String name = conf.getNetworkInputs().get(i);
            long[] shape = example[i].shape().clone();
            shape[0] = -1;
            values.put(name, sd.placeHolder(name, DataType.FLOAT, shape));
            inputs.add(name);
        }
        TailGraph g = new TailGraph(sd, inputs, new ArrayList<>(), new ArrayList<>());
        String output = conf.getNetworkOutputs().get(0);
        for (String name : conf.getTopologicalOrderStr()) {
            if (values.containsKey(name)) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(name);
            List<SDVariable> in = conf.getVertexInputs().get(name).stream().map(values::get).toList();
            SDVariable out;
            if (v instanceof LayerVertex lv) {
                if (in.size() != 1) {
                    throw new Unsupported("the layer '" + name + "' has " + in.size() + " inputs");
                }
                out = g.layer(network, name, lv, in.get(0), shapes.get(conf.getVertexInputs().get(name).get(0)),
                        name.equals(output));
            } else if (v instanceof ElementWiseVertex ew) {
                out = elementWise(name, ew.getOp(), in);
            } else if (v instanceof MergeVertex m) {
                out = sd.concat(m.getMergeAxis(), in.toArray(SDVariable[]::new));
            } else {
                throw new Unsupported("the vertex '" + name + "' is a " + v.getClass().getSimpleName());
            }
            values.put(name, out);
        }
        createGradients(sd);
        g.limitArrayCache(CACHE_BYTES);
        return g;
    }

    /**
     * Gives this thread's sessions of the graph and of its gradient function an array cache of at most {@code bytes}.
     * SameDiff's default cache keeps up to a quarter of ND4J's memory limit per session, which is more than a step's
     * working set for a tail; arrays the cache does not keep are freed when released.
     */
    private void limitArrayCache(long bytes) {
        double fraction = Math.min(0.25, (double) bytes / Math.max(bytes, Pointer.maxBytes()));
        for (SameDiff f : List.of(sd, sd.getFunction("grad"))) {
            InferenceSession session = new InferenceSession(f);
            session.setMmgr(new ArrayCacheMemoryMgr(fraction, 1024, 2.0));
            f.getSessions().put(Thread.currentThread().getId(), session);
        }
    }

    /**
     * Builds the gradient graph now rather than on the first step. ND4J 1.0.0-M2.1 prints a line to standard output for
     * every operation it differentiates; those lines are dropped, everything else printed meanwhile passes through.
     */
    private static synchronized void createGradients(SameDiff sd) {
        PrintStream out = System.out;
        System.setOut(new PrintStream(out, true) {
            @Override
            public void println(String line) {
                if (line == null || !line.startsWith("Added differentiated op ")) {
                    super.println(line);
                }
            }
        });
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }

    private SDVariable layer(ComputationGraph network, String name, LayerVertex vertex, SDVariable x, long[] inShape,
                             boolean output) throws Unsupported {
        Layer layer = vertex.getLayerConf().getLayer();
        boolean frozen = false;
        if (layer instanceof FrozenLayer f) {
            layer = f.getLayer();
            frozen = true;
        } else if (layer instanceof FrozenLayerWithBackprop f) {
            layer = f.getUnderlying();
            frozen = true;
        }
        if (vertex.getPreProcessor() != null) {
            throw new Unsupported("the layer '" + name + "' has the input preprocessor "
                    + vertex.getPreProcessor().getClass().getSimpleName());
        }
        if (layer instanceof BaseLayer bl && bl.getWeightNoise() != null) {
            throw new Unsupported("the layer '" + name + "' has weight noise");
        }
        if (layer.getConstraints() != null && !layer.getConstraints().isEmpty()) {
            throw new Unsupported("the layer '" + name + "' has parameter constraints");
        }
        x = dropout(name, layer.getIDropout(), x, inShape);
        if (output) {
            if (layer.getClass() != OutputLayer.class) {
                throw new Unsupported("the output layer '" + name + "' is a " + layer.getClass().getSimpleName());
            }
            return softmaxCrossEntropy(network, name, (OutputLayer) layer, x, frozen);
        }
        Class<?> kind = layer.getClass();
        if (kind == ConvolutionLayer.class || kind == DepthwiseConvolution2D.class) {
            ConvolutionLayer c = (ConvolutionLayer) layer;
            Conv2DConfig.Conv2DConfigBuilder cfg = Conv2DConfig.builder()
                    .kH(c.getKernelSize()[0]).kW(c.getKernelSize()[1]).sH(c.getStride()[0]).sW(c.getStride()[1])
                    .dH(c.getDilation()[0]).dW(c.getDilation()[1])
                    .dataFormat(c.getCnn2dDataFormat() == CNN2DFormat.NHWC ? "NHWC" : "NCHW");
            if (c.getConvolutionMode() == ConvolutionMode.Same) {
                cfg.paddingMode(PaddingMode.SAME);
            } else if (c.getConvolutionMode() == ConvolutionMode.Truncate || c.getConvolutionMode() == ConvolutionMode.Strict) {
                cfg.paddingMode(PaddingMode.VALID).pH(c.getPadding()[0]).pW(c.getPadding()[1]);
            } else {
                throw new Unsupported("the convolution '" + name + "' uses the convolution mode " + c.getConvolutionMode());
            }
            SDVariable w = param(network, name, "W", c, frozen, kind == DepthwiseConvolution2D.class ? null : new int[]{2, 3, 1, 0});
            SDVariable b = c.hasBias() ? param(network, name, "b", c, frozen, null) : null;
            SDVariable z;
            if (kind == DepthwiseConvolution2D.class) { // weights [kH, kW, in, multiplier]: SameDiff's default layout
                z = b == null ? sd.cnn().depthWiseConv2d(x, w, cfg.build()) : sd.cnn().depthWiseConv2d(x, w, b, cfg.build());
            } else { // DL4J's [out, in, kH, kW] as [kH, kW, in, out]: SameDiff's gradient of the former is broken
                z = b == null ? sd.cnn().conv2d(x, w, cfg.build()) : sd.cnn().conv2d(x, w, b, cfg.build());
            }
            return activation(name, c.getActivationFn(), z, 4);
        }
        if (kind == DenseLayer.class) {
            DenseLayer d = (DenseLayer) layer;
            if (d.hasLayerNorm()) {
                throw new Unsupported("the dense layer '" + name + "' has layer normalisation");
            }
            SDVariable z = x.mmul(param(network, name, "W", d, frozen, null));
            if (d.hasBias()) {
                z = z.add(param(network, name, "b", d, frozen, null));
            }
            return activation(name, d.getActivationFn(), z, 2);
        }
        if (kind == ActivationLayer.class || kind == OnnxActivationLayer.class) {
            return activation(name, ((ActivationLayer) layer).getActivationFn(), x, inShape.length);
        }
        if (kind == DropoutLayer.class) {
            return x; // its dropout was applied to its input above
        }
        if (kind == GlobalPoolingLayer.class) {
            GlobalPoolingLayer p = (GlobalPoolingLayer) layer;
            if (!p.isCollapseDimensions()) {
                throw new Unsupported("the global pooling '" + name + "' keeps its pooled dimensions");
            }
            int[] dims = p.getPoolingDimensions() == null ? new int[]{2, 3} : p.getPoolingDimensions();
            return switch (p.getPoolingType()) {
                case AVG -> x.mean(dims);
                case MAX -> x.max(dims);
                case SUM -> x.sum(dims);
                default -> throw new Unsupported("the global pooling '" + name + "' is of type " + p.getPoolingType());
            };
        }
        if (kind == ZeroPaddingLayer.class) {
            ZeroPaddingLayer z = (ZeroPaddingLayer) layer;
            int[] p = z.getPadding(); // top, bottom, left, right
            int[][] pad = z.getDataFormat() == CNN2DFormat.NHWC
                    ? new int[][]{{0, 0}, {p[0], p[1]}, {p[2], p[3]}, {0, 0}}
                    : new int[][]{{0, 0}, {0, 0}, {p[0], p[1]}, {p[2], p[3]}};
            return sd.nn().pad(x, sd.constant(Nd4j.createFromArray(pad)), PadMode.CONSTANT, 0.0);
        }
        throw new Unsupported("the layer '" + name + "' is a " + kind.getSimpleName());
    }

    private SDVariable softmaxCrossEntropy(ComputationGraph network, String name, OutputLayer layer, SDVariable x,
                                           boolean frozen) throws Unsupported {
        if (!(layer.getActivationFn() instanceof ActivationSoftmax) || layer.getLossFn().getClass() != LossMCXENT.class) {
            throw new Unsupported("the output layer '" + name + "' is not softmax with multi-class cross-entropy");
        }
        SDVariable logits = x.mmul(param(network, name, "W", layer, frozen, null));
        if (layer.hasBias()) {
            logits = logits.add(param(network, name, "b", layer, frozen, null));
        }
        sd.nn().softmax(PROBABILITIES, logits, 1);
        SDVariable y = sd.placeHolder(LABELS, DataType.FLOAT, -1, layer.getNOut());
        INDArray weights = ((LossMCXENT) layer.getLossFn()).getWeights();
        if (weights != null) {
            y = y.mul(sd.constant(weights.castTo(DataType.FLOAT).reshape(1, layer.getNOut())));
        }
        SDVariable loss = y.mul(sd.nn().logSoftmax(logits)).sum().neg(); // rank 2: over the classes
        sd.setLossVariables(loss.rename(LOSS));
        return loss;
    }

    /** A parameter as a SameDiff variable holding a copy of its value; {@link TailTrainer} keeps the copies current. */
    private SDVariable param(ComputationGraph network, String layerName, String key, BaseLayer conf, boolean frozen,
                             int[] order) {
        org.deeplearning4j.nn.api.Layer layer = network.getLayer(layerName);
        INDArray value = layer.getParam(key);
        INDArray gradient = conf.initializer().getGradientsFromFlattened(layer.conf(), layer.getGradientsViewArray()).get(key);
        IUpdater updater = key.equals("b") && conf.getBiasUpdater() != null ? conf.getBiasUpdater() : conf.getIUpdater();
        boolean trained = !frozen && !(updater instanceof NoOp)
                && !(updater instanceof Sgd sgd && sgd.getLearningRate() == 0 && sgd.getLearningRateSchedule() == null);
        Param p = new Param(layerName + "_" + key, value, gradient, layerName + "/" + key, trained, order);
        params.add(p);
        INDArray copy = p.toSameDiff().dup('c');
        return trained ? sd.var(p.variable(), copy) : sd.constant(p.variable(), copy);
    }

    private SDVariable dropout(String name, IDropout dropout, SDVariable x, long[] inShape) throws Unsupported {
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
        long[] shape = inShape.clone();
        shape[0] = -1;
        SDVariable mask = sd.placeHolder(name + "/dropout", DataType.FLOAT, shape);
        masks.add(new Mask(mask.name(), retain));
        return x.mul(mask);
    }

    private static SDVariable elementWise(String name, ElementWiseVertex.Op op, List<SDVariable> in) throws Unsupported {
        SDVariable out = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            SDVariable b = in.get(i);
            out = switch (op) {
                case Add, Average -> out.add(b);
                case Subtract -> out.sub(b);
                case Product -> out.mul(b);
                case Max -> out.getSameDiff().math().max(out, b);
                default -> throw new Unsupported("the vertex '" + name + "' is an element-wise " + op);
            };
        }
        return op == ElementWiseVertex.Op.Average ? out.div(in.size()) : out;
    }

    private SDVariable activation(String name, IActivation fn, SDVariable x, int rank) throws Unsupported {
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        }
        if (fn instanceof ActivationReLU r && (r.getThreshold() == null || r.getThreshold() == 0.0)) {
            double slope = r.getNegativeSlope() == null ? 0 : r.getNegativeSlope();
            SDVariable y = slope == 0 ? sd.nn().relu(x, 0) : sd.nn().leakyRelu(x, slope);
            return r.getMax() == null ? y : sd.math().clipByValue(y, slope == 0 ? 0 : -Double.MAX_VALUE, r.getMax());
        }
        if (fn instanceof ActivationReLU6) {
            return sd.nn().relu6(x, 0);
        }
        if (fn instanceof ActivationClip c) {
            return sd.math().clipByValue(x, c.getMin(), c.getMax());
        }
        if (fn instanceof ActivationLReLU l) {
            return sd.nn().leakyRelu(x, l.getAlpha());
        }
        if (fn instanceof ActivationSigmoid) {
            return sd.nn().sigmoid(x);
        }
        if (fn instanceof ActivationTanH) {
            return sd.math().tanh(x);
        }
        if (fn instanceof ActivationHardTanH) {
            return sd.nn().hardTanh(x);
        }
        if (fn instanceof ActivationHardSigmoid) {
            return sd.nn().hardSigmoid(x);
        }
        if (fn instanceof ActivationOnnxHardSigmoid h) {
            return sd.math().clipByValue(x.mul(h.getAlpha()).add(h.getBeta()), 0, 1);
        }
        if (fn instanceof ActivationOnnxHardSwish) {
            return x.mul(sd.math().clipByValue(x.div(6).add(0.5), 0, 1));
        }
        if (fn instanceof ActivationSwish) {
            return sd.nn().swish(x);
        }
        if (fn instanceof ActivationELU e && e.getAlpha() == 1.0) {
            return sd.nn().elu(x);
        }
        if (fn instanceof ActivationSoftmax && rank == 2) {
            return sd.nn().softmax(x, 1);
        }
        throw new Unsupported("the layer '" + name + "' has the activation " + fn);
    }
}
