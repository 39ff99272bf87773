package dev.transferkit.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GraphBlocksTest {
    private static ConvolutionLayer conv(int out) {
        return new ConvolutionLayer.Builder(3, 3).nOut(out).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build();
    }

    @Test
    void blockOutputsAreTheUnbypassedVerticesThatMergeOrFork() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1).graphBuilder()
                .addInputs("in")
                .addLayer("stem1", conv(4), "in")
                .addLayer("stem2", conv(4), "stem1")                          // a chain: no block output
                .addLayer("res", conv(4), "stem2")                            // stem2 forks: residual block input
                .addVertex("add1", new ElementWiseVertex(ElementWiseVertex.Op.Add), "stem2", "res")
                .addLayer("c3", conv(4), "add1")                              // c3 forks into two branches
                .addLayer("b1", conv(2), "c3")
                .addLayer("b2a", conv(2), "c3")
                .addLayer("b2b", conv(2), "b2a")
                .addVertex("mixed", new MergeVertex(), "b1", "b2b")           // an Inception-like concatenation
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "mixed")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3)).build());
        g.init();
        assertEquals(List.of("stem2", "add1", "c3", "mixed"), GraphBlocks.outputs(g));
    }

    @Test
    void aPlainChainHasNoBlockOutputs() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1).graphBuilder()
                .addInputs("in").addLayer("a", conv(4), "in").addLayer("b", conv(4), "a")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "b")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3)).build());
        g.init();
        assertEquals(List.of(), GraphBlocks.outputs(g));
    }
}
