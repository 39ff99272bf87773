package dev.transferkit.model;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

/** Small random-weight networks for tests: fast to build and run, with named layers. */
public final class TinyNetworks {
    private TinyNetworks() {
    }

    /**
     * A 16x16 RGB NCHW classifier: conv "conv1" (8 filters) → conv "conv2" (16) → global average "gap" → softmax "out".
     *
     * @param classes number of output classes
     * @param seed    weight seed
     * @return the initialised graph
     */
    public static ComputationGraph convNet(int classes, long seed) {
        ComputationGraphConfiguration.GraphBuilder conf = new NeuralNetConfiguration.Builder()
                .seed(seed).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).stride(2, 2).activation(Activation.RELU).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build(), "conv1")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2");
        return withSoftmaxOutput(conf, "gap", classes);
    }

    /**
     * Ends a graph with a softmax classifier "out" (cross-entropy loss) and builds and initialises it.
     *
     * @param graph   the graph so far
     * @param input   the layer the classifier reads
     * @param classes number of output classes
     * @return the initialised graph
     */
    public static ComputationGraph withSoftmaxOutput(ComputationGraphConfiguration.GraphBuilder graph, String input, int classes) {
        ComputationGraphConfiguration conf = graph
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), input)
                .setOutputs("out")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /**
     * Wraps {@link #convNet} as a BaseModel with labels and feature layers.
     *
     * @param labels class names
     * @return the model
     */
    public static BaseModel baseModel(List<String> labels) {
        return BaseModel.builder()
                .setName("tiny-convnet")
                .setGraph(convNet(labels.size(), 12345))
                .setInputSpec(new InputSpec(16, 16, 3, DataFormat.NCHW))
                .setPreprocessing(Preprocessing.TF)
                .optFeatureLayers(List.of("conv2", "conv1"))
                .optLabels(labels)
                .optProvenance(Map.of("source", "test", "seed", "12345"))
                .build();
    }
}
