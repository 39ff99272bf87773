package dev.transferkit.engine;

import dev.transferkit.model.TinyNetworks;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small random networks that exercise every layer the engine compiles, and DL4J reference activations. */
final class EngineNetworks {
    private EngineNetworks() {
    }

    /**
     * A 16x16x3 network in the given layout with every compiled layer kind: zero padding, convolutions in Truncate and
     * Same mode (stride 2) with and without bias, a depthwise convolution, batch normalisation folded and
     * standalone (with and without log-std), ReLU6 / leaky ReLU activation layers, cropping, max and average pooling
     * (padding in the divisor), element-wise add and max, channel and feature concatenation, local response
     * normalisation, a separable convolution (swish), a dilated convolution with asymmetric kernel (hard sigmoid),
     * average, max and sum global pooling, a scale vertex, dropout, dense and softmax output.
     *
     * @param format the layout of every layer
     * @param seed   weight seed
     * @return the initialised graph, with random batch-normalisation statistics
     */
    static ComputationGraph allLayers(CNN2DFormat format, long seed) {
        ComputationGraphConfiguration.GraphBuilder conf = new NeuralNetConfiguration.Builder()
                .seed(seed).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(16, 16, 3, format))
                .addLayer("pad", new ZeroPaddingLayer.Builder(1, 2, 0, 1).dataFormat(format).build(), "in")
                .addLayer("conv_a", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(8).dataFormat(format)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), "pad")
                .addLayer("bn_a", new BatchNormalization.Builder().useLogStd(false).eps(1e-3).dataFormat(format).build(), "conv_a")
                .addLayer("relu_a", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "bn_a")
                .addLayer("conv_s", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(8).hasBias(false)
                        .dataFormat(format).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), "relu_a")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2).dataFormat(format)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), "conv_s")
                .addLayer("bn_dw", new BatchNormalization.Builder().useLogStd(true).dataFormat(format).build(), "dw")
                .addLayer("act_dw", new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build(), "bn_dw")
                .addLayer("crop", new Cropping2D.Builder(1, 0, 0, 1).dataFormat(format).build(), "act_dw")
                .addLayer("bn_solo", new BatchNormalization.Builder().dataFormat(format).build(), "crop")
                .addLayer("pool_max", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same).dataFormat(format).build(), "bn_solo")
                .addLayer("pool_avg", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(3, 3).stride(1, 1)
                        .padding(1, 1).avgPoolIncludePadInDivisor(true).dataFormat(format).build(), "bn_solo")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "pool_max", "pool_avg")
                .addVertex("max", new ElementWiseVertex(ElementWiseVertex.Op.Max), "pool_max", "pool_avg")
                .addVertex("merge", channelMerge(format), "add", "max")
                .addLayer("lrn", new LocalResponseNormalization.Builder().dataFormat(format).build(), "merge")
                .addLayer("sep", new SeparableConvolution2D.Builder(3, 3).depthMultiplier(2).nOut(10).dataFormat(format)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.SWISH).build(), "lrn")
                .addLayer("dilated", new ConvolutionLayer.Builder(3, 2).dilation(2, 1).padding(1, 0).nOut(8)
                        .dataFormat(format).activation(Activation.HARDSIGMOID).build(), "sep")
                .addLayer("conv_1x1", new ConvolutionLayer.Builder(1, 1).nOut(6).dataFormat(format)
                        .activation(Activation.TANH).build(), "dilated")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv_1x1")
                .addLayer("gmax", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "merge")
                .addLayer("gsum", new GlobalPoolingLayer.Builder(PoolingType.SUM).build(), "conv_1x1")
                .addVertex("scaled", new ScaleVertex(0.25), "gsum")
                .addVertex("features", new MergeVertex(), "gap", "gmax", "scaled")
                .addLayer("dense", new DenseLayer.Builder().nOut(12).activation(Activation.TANH).build(), "features")
                .addLayer("drop", new DropoutLayer.Builder(0.5).build(), "dense");
        ComputationGraph g = TinyNetworks.withSoftmaxOutput(conf, "drop", 4);
        randomiseBatchNorm(g, seed);
        return g;
    }

    /**
     * A 12x12x3 NCHW network with a layer the engine does not export (a PNORM pooling layer) between exported ones
     * (local response normalisation, convolutions, a dilated one in Same mode).
     *
     * @return the initialised graph
     */
    static ComputationGraph withUnsupportedLayers() {
        ComputationGraphConfiguration.GraphBuilder conf = new NeuralNetConfiguration.Builder()
                .seed(3).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(12, 12, 3))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "in")
                .addLayer("lrn", new LocalResponseNormalization.Builder().build(), "conv1")
                .addLayer("pnorm", new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2).stride(2, 2).build(), "lrn")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "pnorm")
                .addLayer("dilated", new ConvolutionLayer.Builder(2, 2).dilation(2, 2).convolutionMode(ConvolutionMode.Same)
                        .nOut(4).activation(Activation.IDENTITY).build(), "conv2")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "dilated");
        return TinyNetworks.withSoftmaxOutput(conf, "gap", 3);
    }

    /** A merge along the channel axis: DL4J's MergeVertex concatenates along axis 1 unless told otherwise. */
    private static MergeVertex channelMerge(CNN2DFormat format) {
        MergeVertex m = new MergeVertex();
        m.setMergeAxis(format == CNN2DFormat.NCHW ? 1 : 3);
        return m;
    }

    /** Gives every batch-normalisation layer non-trivial statistics, gamma and beta. */
    static void randomiseBatchNorm(ComputationGraph g, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (Layer l : g.getLayers()) {
            if (l.conf().getLayer() instanceof BatchNormalization bn) {
                Map<String, INDArray> p = l.paramTable();
                p.get(BatchNormalizationParamInitializer.GAMMA).assign(Nd4j.rand(p.get("gamma").shape()).addi(0.5));
                p.get(BatchNormalizationParamInitializer.BETA).assign(Nd4j.rand(p.get("beta").shape()).subi(0.5));
                p.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(Nd4j.rand(p.get("mean").shape()).subi(0.5));
                if (bn.isUseLogStd()) {
                    INDArray s = p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                    s.assign(Nd4j.rand(s.shape()).subi(0.5).muli(0.6));
                } else {
                    INDArray v = p.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
                    v.assign(Nd4j.rand(v.shape()).addi(0.2));
                }
            }
        }
    }

    /**
     * DL4J's activations of one vertex: the network's own output for its output vertex, otherwise DL4J's vertices run
     * one by one in topological order ({@code GraphVertex.doForward} at inference), each on copies of its inputs. (The
     * activations map of a full {@code feedForward} is no reference for every vertex: DL4J's activation layers overwrite
     * their input in place. Nor is a copy cut with {@code TransferLearning.GraphBuilder}: in DL4J 1.0.0-M2.1 it scrambles
     * the weights of a depthwise convolution with depth multiplier 2.)
     *
     * @param graph  the network
     * @param vertex the vertex
     * @param x      the input batch
     * @return the vertex's activations
     */
    static INDArray dl4j(ComputationGraph graph, String vertex, INDArray x) {
        if (graph.getConfiguration().getNetworkOutputs().equals(List.of(vertex))) {
            return graph.outputSingle(false, x);
        }
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        Map<String, INDArray> acts = new HashMap<>();
        acts.put(graph.getConfiguration().getNetworkInputs().get(0), x);
        for (String name : graph.getConfiguration().getTopologicalOrderStr()) {
            if (acts.containsKey(name)) {
                continue;
            }
            GraphVertex v = graph.getVertex(name);
            List<String> inputs = graph.getConfiguration().getVertexInputs().get(name);
            for (int i = 0; i < inputs.size(); i++) {
                v.setInput(i, acts.get(inputs.get(i)).dup(), mgr);
            }
            acts.put(name, v.doForward(false, mgr).dup());
            v.clear();
            if (name.equals(vertex)) {
                return acts.get(name);
            }
        }
        throw new IllegalArgumentException("no vertex " + vertex);
    }
}
