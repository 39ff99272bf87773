package dev.transferkit.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small random networks for the model-source tests: 3x8x8 NCHW input, 3 classes. */
final class TinyNets {
    static final int SIZE = 8;

    private TinyNets() {
    }

    /** @return input "in" -> conv "conv" (4 filters) -> global average pooling "gap" -> softmax "out" (3 classes) */
    static ComputationGraph graph(long seed) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(seed).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(SIZE, SIZE, 3))
                .build());
        g.init();
        return g;
    }

    /** @return the same layers as a MultiLayerNetwork */
    static MultiLayerNetwork multiLayer(long seed) {
        MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(seed).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(SIZE, SIZE, 3))
                .build());
        n.init();
        return n;
    }

    /** @return a batch of two random 3x8x8 images */
    static INDArray batch(long seed) {
        float[] values = new float[2 * 3 * SIZE * SIZE];
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return Nd4j.create(values, new long[]{2, 3, SIZE, SIZE}, 'c');
    }
}
