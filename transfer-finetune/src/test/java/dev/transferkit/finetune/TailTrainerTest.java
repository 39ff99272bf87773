package dev.transferkit.finetune;

import dev.transferkit.onnx.ActivationClip;
import dev.transferkit.onnx.ActivationOnnxHardSigmoid;
import dev.transferkit.onnx.ActivationOnnxHardSwish;
import dev.transferkit.onnx.OnnxActivationLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX Runtime training step against DL4J's own {@code fit}: same scores, same parameters and updater state after
 * several steps, for the layers a fine-tuning tail holds, in both layouts.
 */
class TailTrainerTest {
    private static final int N = 6;

    /** Conv 1x1, depthwise 3x3 stride 2, a zero-learning-rate scale (the batch-norm stand-in), a residual addition, a
     *  concatenation, padding, ReLU6, global pooling, dense, weighted softmax cross-entropy; per-layer learning rates
     *  and L2. */
    private static ComputationGraph tail(CNN2DFormat format, double dropout, boolean withPooling) {
        boolean nhwc = format == CNN2DFormat.NHWC;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(1e-2))
                .weightInit(WeightInit.XAVIER).l2(1e-3).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("a", "b").setInputTypes(InputType.convolutional(8, 8, 4, format), InputType.convolutional(8, 8, 4, format))
                .addLayer("expand", new ConvolutionLayer.Builder(1, 1).nOut(12).hasBias(false).activation(Activation.IDENTITY)
                        .dataFormat(format).build(), "a")
                .addLayer("scale", new DepthwiseConvolution2D.Builder(1, 1).depthMultiplier(1).nOut(12).hasBias(true)
                        .weightInit(WeightInit.ONES).biasInit(0.1).updater(new Sgd(0.0)).biasUpdater(new Sgd(0.0))
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).dataFormat(format).build(), "expand")
                .addLayer("relu", new ActivationLayer(Activation.RELU6), "scale")
                .addLayer("pad", new ZeroPaddingLayer.Builder(1, 1, 1, 1).dataFormat(format).build(), "relu")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).stride(2, 2).depthMultiplier(1).nOut(12).hasBias(false)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).updater(new Adam(3e-3))
                        .dataFormat(format).build(), "pad")
                .addLayer("same", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(12).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.TANH).dataFormat(format).build(), "b")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "dw", "same")
                .addVertex("cat", merge(nhwc ? 3 : 1), "add", "same");
        String last = "cat";
        if (withPooling) {
            g.addLayer("pool", new SubsamplingLayer.Builder(2, 2).dataFormat(format).build(), "cat");
            last = "pool";
        }
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).poolingDimensions(nhwc ? new int[]{1, 2} : new int[]{2, 3})
                        .build(), last)
                .addLayer("dense", new DenseLayer.Builder().nOut(10).activation(Activation.RELU).build(), "gap")
                .addLayer("out", new OutputLayer.Builder(new LossMCXENT(Nd4j.createFromArray(1f, 2f, 0.5f)))
                        .dropOut(dropout).nOut(3).activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static MergeVertex merge(int axis) {
        MergeVertex m = new MergeVertex();
        m.setMergeAxis(axis);
        return m;
    }

    private static INDArray[] inputs(CNN2DFormat format, long seed) {
        Nd4j.getRandom().setSeed(seed);
        long[] shape = format == CNN2DFormat.NHWC ? new long[]{N, 8, 8, 4} : new long[]{N, 4, 8, 8};
        return new INDArray[]{Nd4j.randn(DataType.FLOAT, shape), Nd4j.randn(DataType.FLOAT, shape)};
    }

    private static INDArray labels(long seed) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, N, 3);
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < N; i++) {
            y.putScalar(i, r.nextInt(3), 1);
        }
        return y;
    }

    @Test
    void onnxStepsTrainLikeDl4jInBothLayouts() {
        for (CNN2DFormat format : CNN2DFormat.values()) {
            ComputationGraph reference = tail(format, 1.0, false);
            assertEquals(reference.params(), tail(format, 1.0, false).params(), "the seed fixes the initial parameters");
            ComputationGraph fast = tail(format, 1.0, false); // not clone(): it loses a merge axis
            TailTrainer dl4j = new TailTrainer.Dl4j(reference);
            TailTrainer trainer = TailTrainer.of(fast, inputs(format, 1));
            assertInstanceOf(TailTrainer.OnnxSteps.class, trainer, format.toString());
            for (int step = 0; step < 4; step++) {
                INDArray[] x = inputs(format, 10 + step);
                INDArray y = labels(step);
                TailTrainer.Result expected = dl4j.fit(x, y);
                TailTrainer.Result actual = trainer.fit(x, y);
                assertEquals(expected.score(), actual.score(), 1e-4 * Math.abs(expected.score()), format + " step " + step);
                assertTrue(expected.probabilities().equalsWithEps(actual.probabilities(), 1e-4), format + " step " + step);
            }
            assertEquals(reference.getConfiguration().getIterationCount(), fast.getConfiguration().getIterationCount());
            assertClose(reference.params(), fast.params(), format + " parameters");
            assertClose(reference.getUpdater().getStateViewArray(), fast.getUpdater().getStateViewArray(), format + " Adam state");
            assertEquals(reference.getLayer("scale").params(), fast.getLayer("scale").params(), "a zero learning rate changes nothing");
            INDArray[] x = inputs(format, 99);
            INDArray y = labels(99);
            assertEquals(dl4j.evaluate(x, y).score(), trainer.evaluate(x, y).score(), 1e-4);
        }
    }

    @Test
    void dropoutActsInTrainingStepsOnlyAndMasksComeFromNd4jsSeededGenerator() {
        ComputationGraph net = tail(CNN2DFormat.NHWC, 0.5, false);
        ComputationGraph copy = tail(CNN2DFormat.NHWC, 0.5, false);
        TailTrainer trainer = TailTrainer.of(net, inputs(CNN2DFormat.NHWC, 1));
        assertEquals("ONNX Runtime", trainer.kind());
        INDArray[] x = inputs(CNN2DFormat.NHWC, 2);
        INDArray y = labels(2);
        INDArray inference = new TailTrainer.Dl4j(copy).evaluate(x, y).probabilities();
        assertTrue(inference.equalsWithEps(trainer.evaluate(x, y).probabilities(), 1e-4), "no dropout at inference");
        Nd4j.getRandom().setSeed(5);
        INDArray first = trainer.fit(x, y).probabilities();
        assertFalse(inference.equalsWithEps(first, 1e-4), "dropout in training");
        TailTrainer again = TailTrainer.of(copy, inputs(CNN2DFormat.NHWC, 1));
        Nd4j.getRandom().setSeed(5);
        assertTrue(first.equalsWithEps(again.fit(x, y).probabilities(), 0), "the same seed gives the same masks");
        assertEquals(net.params(), copy.params());
    }

    @Test
    void aLayerItCannotWriteTrainsThroughDl4j() {
        ComputationGraph net = tail(CNN2DFormat.NCHW, 1.0, true); // a subsampling layer
        TailTrainer trainer = TailTrainer.of(net, inputs(CNN2DFormat.NCHW, 1));
        assertEquals("DL4J", trainer.kind());
        INDArray before = net.params().dup();
        trainer.fit(inputs(CNN2DFormat.NCHW, 2), labels(2));
        assertFalse(before.equals(net.params()));
    }

    @Test
    void anActivationWhoseDerivativeIsNotWrittenTrainsThroughDl4j() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1))
                .dataType(DataType.FLOAT).graphBuilder().addInputs("x")
                .setInputTypes(InputType.convolutional(5, 5, 2, CNN2DFormat.NCHW))
                .addLayer("c", new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.SELU).build(), "x")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c")
                .addLayer("out", new OutputLayer.Builder(new LossMCXENT()).nOut(3).activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build());
        net.init();
        assertEquals("DL4J", TailTrainer.of(net, new INDArray[]{Nd4j.randn(DataType.FLOAT, N, 2, 5, 5)}).kind());
    }

    @Test
    void forcingDl4jTrainsThroughDl4j() {
        ComputationGraph net = tail(CNN2DFormat.NHWC, 1.0, false);
        System.setProperty(TailTrainer.PROPERTY, "dl4j");
        try {
            assertEquals("DL4J", TailTrainer.of(net, inputs(CNN2DFormat.NHWC, 1)).kind());
        } finally {
            System.clearProperty(TailTrainer.PROPERTY);
        }
        assertEquals("ONNX Runtime", TailTrainer.of(net, inputs(CNN2DFormat.NHWC, 1)).kind());
    }

    /** Stride-1 3x3 convolutions (plain with bias, depthwise), the other element-wise operations, global max pooling
     *  and every activation whose derivative the graph writes (the ONNX importer's too), global pooling that keeps its
     *  dimensions and a flattening vertex (as the ONNX importer writes them), trained with SGD; a smaller last batch. */
    private static ComputationGraph variety() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(11).updater(new Sgd(0.05))
                .weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("x").setInputTypes(InputType.convolutional(7, 7, 3, CNN2DFormat.NCHW))
                .addLayer("c3", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.LEAKYRELU).build(), "x")
                .addLayer("d3", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1).nOut(6).hasBias(true)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.ELU).build(), "c3")
                .addLayer("sig", new ActivationLayer(Activation.SIGMOID), "c3")
                .addLayer("hs", new ActivationLayer(Activation.HARDSIGMOID), "d3")
                .addLayer("sw", new ActivationLayer(Activation.SWISH), "d3")
                .addLayer("ht", new ActivationLayer(Activation.HARDTANH), "c3")
                .addVertex("prod", new ElementWiseVertex(ElementWiseVertex.Op.Product), "sig", "hs")
                .addVertex("sub", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), "sw", "ht")
                .addVertex("max", new ElementWiseVertex(ElementWiseVertex.Op.Max), "prod", "sub")
                .addLayer("clip", new OnnxActivationLayer(new ActivationClip(-0.5, 0.8)), "c3")
                .addLayer("osig", new OnnxActivationLayer(new ActivationOnnxHardSigmoid(0.3, 0.4)), "d3")
                .addLayer("oswish", new OnnxActivationLayer(new ActivationOnnxHardSwish()), "c3")
                .addVertex("add3", new ElementWiseVertex(ElementWiseVertex.Op.Add), "clip", "osig", "oswish")
                .addVertex("avg", new ElementWiseVertex(ElementWiseVertex.Op.Average), "max", "prod", "sub", "add3")
                .addLayer("p1", new ConvolutionLayer.Builder(1, 1).nOut(8).activation(Activation.RELU).build(), "avg")
                .addLayer("gmp", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "p1")
                .addLayer("gapk", new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(false).build(), "p1")
                .addVertex("flat", new PreprocessorVertex(new CnnToFeedForwardPreProcessor(1, 1, 8)), "gapk")
                .addVertex("pooled", new MergeVertex(), "gmp", "flat")
                .addLayer("soft", new DenseLayer.Builder().nOut(6).activation(Activation.SOFTMAX).build(), "pooled")
                .addLayer("out", new OutputLayer.Builder(new LossMCXENT()).nOut(3).activation(Activation.SOFTMAX).build(), "soft")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    @Test
    void everyWrittenDerivativeTrainsLikeDl4jAndBatchesMayShrink() {
        ComputationGraph reference = variety();
        ComputationGraph fast = variety();
        Nd4j.getRandom().setSeed(3);
        TailTrainer dl4j = new TailTrainer.Dl4j(reference);
        TailTrainer trainer = TailTrainer.of(fast, new INDArray[]{Nd4j.randn(DataType.FLOAT, N, 3, 7, 7)});
        assertEquals("ONNX Runtime", trainer.kind());
        for (int step = 0; step < 4; step++) {
            int n = step == 3 ? 2 : N;
            Nd4j.getRandom().setSeed(20 + step);
            INDArray[] x = {Nd4j.randn(DataType.FLOAT, n, 3, 7, 7)};
            INDArray y = labels(step).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n), org.nd4j.linalg.indexing.NDArrayIndex.all());
            TailTrainer.Result expected = dl4j.fit(x, y);
            TailTrainer.Result actual = trainer.fit(x, y);
            assertEquals(expected.score(), actual.score(), 1e-4 * Math.abs(expected.score()), "step " + step);
            assertTrue(expected.probabilities().equalsWithEps(actual.probabilities(), 1e-4), "step " + step);
        }
        for (String layer : new String[]{"c3", "d3", "p1", "soft", "out"}) {
            assertFalse(variety().getLayer(layer).params().equals(fast.getLayer(layer).params()), layer + " trained");
            assertClose(reference.getLayer(layer).params(), fast.getLayer(layer).params(), layer);
        }
        trainer.close();
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-4 * scale, what + " differ by " + diff + " (largest value " + scale + ")");
    }
}
