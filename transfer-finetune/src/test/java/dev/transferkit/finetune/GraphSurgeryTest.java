package dev.transferkit.finetune;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Copies of a network made for fine-tuning compute what the original computes. */
class GraphSurgeryTest {
    /** An NHWC network whose two branches are concatenated along the channels (axis 3), as Inception's blocks are. */
    private static ComputationGraph nhwcWithConcat() {
        MergeVertex cat = new MergeVertex();
        cat.setMergeAxis(3);
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(6, 6, 3, CNN2DFormat.NHWC))
                .addLayer("left", new ConvolutionLayer.Builder(1, 1).nOut(4).dataFormat(CNN2DFormat.NHWC).build(), "in")
                .addLayer("right", new ConvolutionLayer.Builder(3, 3).nOut(5).dataFormat(CNN2DFormat.NHWC)
                        .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).build(), "in")
                .addVertex("mixed", cat, "left", "right")
                .addLayer("top", new ConvolutionLayer.Builder(1, 1).nOut(6).dataFormat(CNN2DFormat.NHWC).build(), "mixed")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).poolingDimensions(1, 2).build(), "top")
                .addLayer("out", new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build());
        g.init();
        return g;
    }

    @Test
    void copiesKeepTheMergeAxisThatDl4jsCloneForgets() {
        ComputationGraph g = nhwcWithConcat();
        assertEquals(1, ((MergeVertex) g.getConfiguration().getVertices().get("mixed").clone()).getMergeAxis(),
                "DL4J's clone() still forgets the axis; if this fails, the workaround can go");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 6, 6, 3);
        Map<String, INDArray> expected = g.feedForward(x, false);
        GraphSurgery s = new GraphSurgery(g);
        ComputationGraph updaters = s.withUpdaters(Map.of("top", new Sgd(0.1)));
        assertEquals(expected.get("out"), updaters.outputSingle(false, x));
        ComputationGraph reheaded = s.reheaded("mixed", Set.of("left"),
                new FineTuneConfiguration.Builder().updater(new Adam(1e-3)).build(),
                List.of(new GraphSurgery.HeadLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).poolingDimensions(1, 2).build(), "mixed")
                        , new GraphSurgery.HeadLayer("head", new OutputLayer.Builder().nIn(9).nOut(2).activation(Activation.SOFTMAX).build(), "pool")));
        assertArrayEquals(new long[]{2, 6, 6, 9}, reheaded.feedForward(x, false).get("mixed").shape());
        ComputationGraph tail = new GraphSurgery(reheaded).tail(Set.of("in", "left", "right"), List.of("left", "right"));
        Map<String, INDArray> acts = reheaded.feedForward(x, false);
        assertEquals(acts.get("head"), tail.output(false, acts.get("left"), acts.get("right"))[0]);
    }
}
