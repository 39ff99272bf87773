package dev.transferkit.finetune;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Graph analysis and rebuilding for fine-tuning: ancestors and descendants of vertices, cutting and re-heading. */
final class GraphSurgery {
    private final ComputationGraph graph;
    private final Map<String, List<String>> inputs;

    GraphSurgery(ComputationGraph graph) {
        this.graph = graph;
        this.inputs = graph.getConfiguration().getVertexInputs();
    }

    /** @return the vertex and every vertex it depends on, network inputs excluded, in topological order */
    Set<String> ancestors(String vertex) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(vertex));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (seen.add(v)) {
                todo.addAll(inputs.getOrDefault(v, List.of()));
            }
        }
        seen.removeAll(graph.getConfiguration().getNetworkInputs());
        return inTopologicalOrder(seen);
    }

    /** @return the vertex and every vertex that depends on it, in topological order */
    Set<String> descendants(String vertex) {
        Set<String> out = new LinkedHashSet<>();
        out.add(vertex);
        for (String v : topologicalOrder()) {
            for (String in : inputs.getOrDefault(v, List.of())) {
                if (out.contains(in)) {
                    out.add(v);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The vertices that can run frozen, in inference mode, before the trainable part: every ancestor of a frozen
     * layer, and every vertex without parameters or dropout (merges, additions, activations, poolings) whose inputs
     * all belong to it. Network inputs are not included.
     *
     * @param frozenLayers the frozen layers
     * @return the prefix, in topological order
     */
    Set<String> frozenPrefix(Set<String> frozenLayers) {
        Set<String> prefix = new LinkedHashSet<>();
        for (String f : frozenLayers) {
            prefix.addAll(ancestors(f));
        }
        List<String> networkInputs = graph.getConfiguration().getNetworkInputs();
        for (String v : topologicalOrder()) {
            if (prefix.contains(v) || networkInputs.contains(v) || !withoutParamsOrDropout(v)) {
                continue;
            }
            List<String> in = inputs.getOrDefault(v, List.of());
            if (!in.isEmpty() && in.stream().allMatch(i -> prefix.contains(i) || networkInputs.contains(i))) {
                prefix.add(v);
            }
        }
        return inTopologicalOrder(prefix);
    }

    private boolean withoutParamsOrDropout(String v) {
        GraphVertex gv = graph.getConfiguration().getVertices().get(v);
        if (!(gv instanceof LayerVertex lv)) {
            return true;
        }
        Layer l = lv.getLayerConf().getLayer();
        return graph.getLayer(v).numParams() == 0 && !(l instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer)
                && !(l instanceof BaseLayer bl && bl.getIDropout() != null);
    }

    /**
     * The values the trainable part reads from the frozen prefix (or the network input when nothing is frozen), in
     * topological order.
     *
     * @param prefix a result of {@link #frozenPrefix}
     * @return the boundary vertices
     */
    List<String> boundary(Set<String> prefix) {
        Set<String> out = new LinkedHashSet<>();
        for (String v : topologicalOrder()) {
            if (prefix.contains(v) || graph.getConfiguration().getNetworkInputs().contains(v)) {
                continue;
            }
            for (String in : inputs.getOrDefault(v, List.of())) {
                if (prefix.contains(in) || graph.getConfiguration().getNetworkInputs().contains(in)) {
                    out.add(in);
                }
            }
        }
        List<String> networkInputs = graph.getConfiguration().getNetworkInputs();
        List<String> ordered = new ArrayList<>(networkInputs.stream().filter(out::contains).toList());
        inTopologicalOrder(out).stream().filter(v -> !networkInputs.contains(v)).forEach(ordered::add);
        return ordered;
    }

    /**
     * The trainable part of the graph as a network of its own: every vertex outside the prefix, with the boundary
     * values as its inputs (in the given order), each layer's configuration and parameters copied.
     *
     * @param prefix   the frozen prefix
     * @param boundary its values the rest reads
     * @return the initialised tail network
     */
    ComputationGraph tail(Set<String> prefix, List<String> boundary) {
        ComputationGraphConfiguration conf = copyConfiguration();
        for (String v : prefix) {
            conf.getVertices().remove(v);
            conf.getVertexInputs().remove(v);
        }
        conf.setNetworkInputs(new ArrayList<>(boundary));
        ComputationGraph tail = new ComputationGraph(conf);
        tail.init();
        copyMatching(graph, tail);
        return tail;
    }

    /**
     * Copies the parameters of every layer of {@code to} from the same-named layer of {@code from} when both have the
     * same parameters (names and shapes); a batch normalisation replaced by its inference-mode form is not copied.
     */
    static void copyMatching(ComputationGraph from, ComputationGraph to) {
        if (from == to) {
            return;
        }
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : to.getVertices()) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex src = from.getVertex(v.getVertexName());
            if (!v.hasLayer() || src == null || !src.hasLayer() || v.getLayer().numParams() == 0) {
                continue;
            }
            Map<String, INDArray> a = v.getLayer().paramTable();
            Map<String, INDArray> b = src.getLayer().paramTable();
            boolean same = a.keySet().equals(b.keySet())
                    && a.keySet().stream().allMatch(k -> java.util.Arrays.equals(a.get(k).shape(), b.get(k).shape()));
            if (same) {
                a.forEach((key, to1) -> to1.assign(b.get(key)));
            }
        }
    }

    /** @return the names of the vertices that are layers (they hold parameters or state) among {@code names} */
    Set<String> layersAmong(Set<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            if (graph.getConfiguration().getVertices().get(n) instanceof LayerVertex) {
                out.add(n);
            }
        }
        return out;
    }

    /** @return the batch-normalisation layers among {@code names} */
    Set<String> batchNorms(Set<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : layersAmong(names)) {
            if (layer(graph.getConfiguration(), n) instanceof BatchNormalization) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Copies the graph with the given (convolutional) batch-normalisation layers replaced by their inference-mode
     * equivalent: a frozen per-channel scale and shift (a 1x1 depthwise convolution with
     * {@code w = gamma / sqrt(var + eps)} and {@code b = beta - mean * w}) whose updater is SGD with learning rate 0 (DL4J's NoOp would apply the raw gradient).
     * Gradients flow through it; its values and the original running statistics never change. DL4J's own
     * batch normalisation cannot back-propagate in inference mode (wrapped in FrozenLayerWithBackprop it fails on
     * a stale workspace array), and a FrozenLayerWithBackprop-wrapped convolution does not survive saving, hence
     * this form. The fold has the identity activation: DL4J's batch normalisation ignores the activation in its
     * configuration (which defaults to the network's, e.g. sigmoid).
     */
    ComputationGraph withFrozenBatchNorm(Set<String> names) {
        if (names.isEmpty()) {
            return graph;
        }
        ComputationGraphConfiguration conf = copyConfiguration();
        for (String n : names) {
            LayerVertex v = (LayerVertex) conf.getVertices().get(n);
            BatchNormalization bn = (BatchNormalization) v.getLayerConf().getLayer();
            Layer folded = new org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D.Builder(1, 1).nIn(bn.getNOut())
                    .depthMultiplier(1).nOut(bn.getNOut()).hasBias(true)
                    .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Truncate).weightInit(org.deeplearning4j.nn.weights.WeightInit.ONES).biasInit(0)
                    .updater(new org.nd4j.linalg.learning.config.Sgd(0.0)).biasUpdater(new org.nd4j.linalg.learning.config.Sgd(0.0))
                    .activation(org.nd4j.linalg.activations.Activation.IDENTITY).dataFormat(bn.getCnn2DFormat()).build();
            folded.setLayerName(n);
            v.getLayerConf().setLayer(folded);
        }
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init();
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : copy.getVertices()) {
            if (!v.hasLayer() || v.getLayer().numParams() == 0) {
                continue;
            }
            String n = v.getVertexName();
            if (names.contains(n)) {
                fold(graph.getLayer(n), v.getLayer());
            } else {
                v.getLayer().setParams(graph.getLayer(n).params().dup());
            }
        }
        return copy;
    }

    /**
     * Copies the graph without the dropouts that keep every activation ({@code Dropout} with retain probability 1 and
     * no schedule), which the Keras importer puts on every layer: they do nothing forward, but DL4J's backward pass
     * of a convolution in NHWC layout fails on their mask. Parameters are copied unchanged.
     */
    ComputationGraph withoutNoOpDropout() {
        ComputationGraphConfiguration conf = copyConfiguration();
        boolean changed = false;
        for (String name : conf.getVertices().keySet()) {
            Layer l = layer(conf, name);
            if (l instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer f) {
                l = f.getLayer();
            }
            if (l instanceof BaseLayer bl && bl.getIDropout() instanceof org.deeplearning4j.nn.conf.dropout.Dropout d
                    && d.getP() >= 1.0 && d.getPSchedule() == null) {
                bl.setIDropout(null);
                changed = true;
            }
        }
        if (!changed) {
            return graph;
        }
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init();
        copy.setParams(graph.params().dup());
        return copy;
    }

    /**
     * Copies the graph with the given layers' weight and bias updaters replaced (per-layer learning rates). Layers
     * that are frozen (wrapped by transfer learning) or have no updater are not in {@code updaters}. Parameters are
     * copied unchanged.
     */
    ComputationGraph withUpdaters(Map<String, IUpdater> updaters) {
        if (updaters.isEmpty()) {
            return graph;
        }
        ComputationGraphConfiguration conf = copyConfiguration();
        for (Map.Entry<String, IUpdater> e : updaters.entrySet()) {
            Layer l = layer(conf, e.getKey());
            if (!(l instanceof BaseLayer bl)) {
                throw new IllegalStateException("The layer '" + e.getKey() + "' has no updater of its own: " + l);
            }
            bl.setIUpdater(e.getValue().clone());
            bl.setBiasUpdater(e.getValue().clone());
        }
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init();
        copy.setParams(graph.params().dup());
        return copy;
    }

    private static void fold(org.deeplearning4j.nn.api.Layer bnLayer, org.deeplearning4j.nn.api.Layer target) {
        BatchNormalization bn = (BatchNormalization) bnLayer.conf().getLayer();
        long c = bn.getNOut();
        INDArray mean = bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(c).castTo(DataType.DOUBLE);
        INDArray std = bn.isUseLogStd()
                ? Transforms.pow(Nd4j.scalar(DataType.DOUBLE, 10.0).broadcast(c),
                        bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(c).castTo(DataType.DOUBLE))
                : Transforms.sqrt(bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(c)
                        .castTo(DataType.DOUBLE).add(bn.getEps()));
        INDArray gamma = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[]{c}, bn.getGamma(), DataType.DOUBLE)
                : bnLayer.getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c).castTo(DataType.DOUBLE);
        INDArray beta = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[]{c}, bn.getBeta(), DataType.DOUBLE)
                : bnLayer.getParam(BatchNormalizationParamInitializer.BETA).reshape(c).castTo(DataType.DOUBLE);
        INDArray w = gamma.div(std);
        INDArray b = beta.sub(mean.mul(w));
        INDArray wParam = target.getParam(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray bParam = target.getParam(ConvolutionParamInitializer.BIAS_KEY);
        wParam.assign(w.castTo(wParam.dataType()).reshape(wParam.shape())); // [1, 1, channels, 1]: one scale per channel
        bParam.assign(b.castTo(bParam.dataType()).reshape(bParam.shape()));
    }

    /**
     * Builds a network that keeps the vertices up to {@code cut}, freezes {@code frozen} (and what they depend on)
     * and ends in the given head.
     */
    ComputationGraph reheaded(String cut, Set<String> frozen, FineTuneConfiguration tuning, List<HeadLayer> head) {
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(graph).fineTuneConfiguration(tuning);
        if (!frozen.isEmpty()) {
            b.setFeatureExtractor(frozen.toArray(String[]::new));
        }
        Set<String> keep = ancestors(cut);
        for (String v : removable(keep)) {
            b.removeVertexAndConnections(v);
        }
        String last = null;
        for (HeadLayer h : head) {
            b.addLayer(h.name(), h.layer().clone(), h.input());
            last = h.name();
        }
        ComputationGraph built = b.setOutputs(last).build();
        if (!restoreMergeAxes(graph.getConfiguration(), built.getConfiguration())) {
            return built;
        }
        ComputationGraph fixed = new ComputationGraph(built.getConfiguration()); // the vertices read the axes at init
        fixed.init(built.params().dup(), false);
        return fixed;
    }

    /** @return a copy of the graph's configuration, with the merge axes DL4J's {@code clone()} forgets */
    private ComputationGraphConfiguration copyConfiguration() {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        restoreMergeAxes(graph.getConfiguration(), conf);
        return conf;
    }

    /**
     * DL4J 1.0.0-M2.1's {@code MergeVertex.clone()} resets the merge axis to 1, which concatenates the images of an
     * NHWC network (axis 3) along their height. Sets each merge vertex of {@code copy} to the axis of the vertex of the
     * same name in {@code original}.
     *
     * @return whether any axis had to be restored
     */
    static boolean restoreMergeAxes(ComputationGraphConfiguration original, ComputationGraphConfiguration copy) {
        boolean changed = false;
        for (Map.Entry<String, GraphVertex> e : copy.getVertices().entrySet()) {
            if (e.getValue() instanceof MergeVertex m && original.getVertices().get(e.getKey()) instanceof MergeVertex o
                    && m.getMergeAxis() != o.getMergeAxis()) {
                m.setMergeAxis(o.getMergeAxis());
                changed = true;
            }
        }
        return changed;
    }

    /** Builds an inference-only network whose output is the activation of {@code cut}. */
    ComputationGraph trunk(String cut) {
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(graph);
        for (String v : removable(ancestors(cut))) {
            b.removeVertexAndConnections(v);
        }
        return b.setOutputs(cut).build();
    }

    private List<String> removable(Set<String> keep) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> e : graph.getConfiguration().getVertices().entrySet()) {
            if (!keep.contains(e.getKey()) && !graph.getConfiguration().getNetworkInputs().contains(e.getKey())) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    private Set<String> inTopologicalOrder(Set<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String v : topologicalOrder()) {
            if (names.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    private List<String> topologicalOrder() {
        List<String> out = new ArrayList<>();
        for (int i : graph.topologicalSortOrder()) {
            out.add(graph.getVertices()[i].getVertexName());
        }
        return out;
    }

    static Layer layer(ComputationGraphConfiguration conf, String name) {
        GraphVertex v = conf.getVertices().get(name);
        return v instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
    }

    /** One layer of a new head: its name, configuration and input vertex. */
    record HeadLayer(String name, Layer layer, String input) {
    }
}
