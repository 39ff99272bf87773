package dev.transferkit.examples.bench;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * ResNet-50 exactly as torchvision builds it (v1.5: the stride of a downsampling bottleneck sits in its 3x3
 * convolution; 7x7 stem with padding 3, 3x3 max pooling with padding 1, blocks [3, 4, 6, 3], 7x7 final maps at 224x224,
 * 4.1 G multiply-adds) as a DL4J graph with random weights, so that its speed can be compared with PyTorch's at equal
 * work. DL4J's zoo ResNet50 downsamples earlier and does less work.
 */
final class TorchResNet50 {
    private static final int[] BLOCKS = {3, 4, 6, 3};
    private static final int[] WIDTHS = {64, 128, 256, 512};

    private TorchResNet50() {
    }

    /**
     * @param classes output classes
     * @return the initialised graph, input "in" NCHW 3x224x224, output "fc"; feature layer "pool" (2048)
     */
    static ComputationGraph build(int classes) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(1).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(224, 224, 3));
        String x = convBn(g, "stem", "in", 64, 7, 2, 3, true);
        g.addLayer("stem_pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).padding(1, 1)
                .build(), x);
        x = "stem_pool";
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < BLOCKS[stage]; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                x = bottleneck(g, "l" + (stage + 1) + "b" + block, x, WIDTHS[stage], stride, block == 0);
            }
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer("fc", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                .activation(Activation.SOFTMAX).build(), "pool");
        g.setOutputs("fc");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        return graph;
    }

    private static String bottleneck(ComputationGraphConfiguration.GraphBuilder g, String name, String in, int width,
                                     int stride, boolean project) {
        String a = convBn(g, name + "_a", in, width, 1, 1, 0, true);
        String b = convBn(g, name + "_b", a, width, 3, stride, 1, true);
        String c = convBn(g, name + "_c", b, width * 4, 1, 1, 0, false);
        String shortcut = project ? convBn(g, name + "_down", in, width * 4, 1, stride, 0, false) : in;
        g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), c, shortcut);
        g.addLayer(name + "_out", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_add");
        return name + "_out";
    }

    private static String convBn(ComputationGraphConfiguration.GraphBuilder g, String name, String in, int out, int k,
                                 int stride, int pad, boolean relu) {
        g.addLayer(name + "_conv", new ConvolutionLayer.Builder(k, k).stride(stride, stride).padding(pad, pad).nOut(out)
                .hasBias(false).activation(Activation.IDENTITY).build(), in);
        g.addLayer(name + "_bn", new BatchNormalization.Builder().build(), name + "_conv");
        if (!relu) {
            return name + "_bn";
        }
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }
}
