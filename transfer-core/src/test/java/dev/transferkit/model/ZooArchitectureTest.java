package dev.transferkit.model;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksum;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.VGG16;
import org.deeplearning4j.zoo.model.VGG19;
import org.deeplearning4j.zoo.model.Xception;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZooArchitectureTest {
    @Test
    void declaresTheZoosFilesChecksumsAndInputSizes() {
        assertEquals("models/vgg16_dl4j_inference.zip", ZooArchitecture.VGG16.remotePath());
        assertEquals(Checksum.adler32(3501732770L), ZooArchitecture.VGG16.checksum());
        assertEquals("models/resnet50_dl4j_inference.v3.zip", ZooArchitecture.RESNET50.remotePath());
        assertEquals("models/nasnetmobile_dl4j_inference.v1.zip", ZooArchitecture.NASNET.remotePath());
        assertEquals(new InputSpec(224, 224, 3, DataFormat.NCHW), ZooArchitecture.VGG16.inputSpec());
        assertEquals(new InputSpec(224, 224, 3, DataFormat.NCHW), ZooArchitecture.RESNET50.inputSpec());
        assertEquals(new InputSpec(299, 299, 3, DataFormat.NCHW), ZooArchitecture.XCEPTION.inputSpec());
        assertEquals(new InputSpec(227, 227, 3, DataFormat.NCHW), ZooArchitecture.SQUEEZENET.inputSpec());
        assertEquals(new InputSpec(224, 224, 3, DataFormat.NCHW), ZooArchitecture.NASNET.inputSpec());
        assertEquals(Preprocessing.CAFFE, ZooArchitecture.VGG19.preprocessing());
        assertEquals(Preprocessing.TF, ZooArchitecture.XCEPTION.preprocessing());
        assertEquals(List.of("fc2", "fc1", "block5_pool"), ZooArchitecture.VGG16.featureLayers());
    }

    @ParameterizedTest
    @EnumSource(ZooArchitecture.class)
    void everyArchitectureHasImageNetWeightsAndLabels(ZooArchitecture architecture) {
        assertTrue(architecture.zooModel().pretrainedAvailable(org.deeplearning4j.zoo.PretrainedType.IMAGENET));
        assertTrue(architecture.remotePath().startsWith("models/") && architecture.remotePath().endsWith(".zip"));
        assertEquals(ImageNetClasses.COUNT, architecture.labels().size());
        assertFalse(architecture.featureLayers().isEmpty());
        assertTrue(architecture.toString().contains(architecture.remotePath()), architecture.toString());
    }

    /** The configuration of the zoo's random-init network, built without allocating parameters. */
    private static ComputationGraphConfiguration configuration(ZooArchitecture architecture) {
        return switch (architecture) {
            case VGG16 -> ((VGG16) architecture.zooModel()).conf();
            case VGG19 -> ((VGG19) architecture.zooModel()).conf();
            case RESNET50 -> ((ResNet50) architecture.zooModel()).graphBuilder().build();
            case XCEPTION -> ((Xception) architecture.zooModel()).graphBuilder().addInputs("input").build();
            case SQUEEZENET -> ((SqueezeNet) architecture.zooModel()).graphBuilder().addInputs("input").build();
            case NASNET -> throw new IllegalArgumentException("NASNet's random-init configuration cannot be built in M2.1");
        };
    }

    @ParameterizedTest
    @EnumSource(value = ZooArchitecture.class, names = {"VGG16", "VGG19", "RESNET50", "XCEPTION", "SQUEEZENET"})
    void randomInitConfigurationTakesTheDeclaredInputAndHasTheFeatureLayers(ZooArchitecture architecture) {
        ComputationGraphConfiguration conf = configuration(architecture);
        InputSpec spec = architecture.inputSpec();
        Map<String, InputType> types = conf.getLayerActivationTypes(
                InputType.convolutional(spec.height(), spec.width(), spec.channels()));
        String output = conf.getNetworkOutputs().get(0);
        if (architecture != ZooArchitecture.SQUEEZENET) {   // SqueezeNet ends in a loss layer after its softmax
            assertEquals(InputType.feedForward(1000), types.get(output), "output of " + architecture);
        }
        List<String> resolved = architecture.resolveFeatureLayers(conf.getVertices().keySet());
        Map<ZooArchitecture, List<String>> expected = Map.of(
                ZooArchitecture.VGG16, List.of("19", "18", "17"),
                ZooArchitecture.VGG19, List.of("21", "20"),
                ZooArchitecture.RESNET50, List.of("avgpool", "res5c_branch"),
                ZooArchitecture.XCEPTION, List.of("avg_pool", "block14_sepconv2_act"),
                ZooArchitecture.SQUEEZENET, List.of("drop9", "avg_pool"));
        assertEquals(expected.get(architecture), resolved);
        for (String layer : resolved) {
            assertTrue(types.containsKey(layer), layer + " has an activation type in " + architecture);
        }
    }

    @Test
    void squeezeNetInitialisesAndRunsAtItsDeclaredInputSize() {
        ComputationGraph graph = (ComputationGraph) ZooArchitecture.SQUEEZENET.zooModel().init();
        InputSpec spec = ZooArchitecture.SQUEEZENET.inputSpec();
        INDArray x = Nd4j.rand(spec.batchShape(1)).muli(255);
        INDArray features = graph.feedForward(x, false).get(ZooArchitecture.SQUEEZENET.resolveFeatureLayers(graph).get(0));
        assertArrayEquals(new long[]{1, 512, 13, 13}, features.shape());
    }

    @Test
    void squeezeNetFixCollapsesThePretrainedPoolingLayer() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("global_average_pooling2d_5", new GlobalPoolingLayer.Builder(PoolingType.AVG)
                        .collapseDimensions(false).build(), "in")
                .addLayer("loss", new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(),
                        "global_average_pooling2d_5")
                .setOutputs("loss")
                .setInputTypes(InputType.convolutional(4, 4, 2))
                .build());
        graph.init();
        GlobalPoolingLayer pooling = (GlobalPoolingLayer) graph.getLayer("global_average_pooling2d_5").conf().getLayer();
        assertFalse(pooling.isCollapseDimensions());
        ZooArchitecture.SQUEEZENET.prepare(graph);
        assertTrue(pooling.isCollapseDimensions());
        assertEquals(List.of("global_average_pooling2d_5"), ZooArchitecture.SQUEEZENET.resolveFeatureLayers(graph));
    }

    @Test
    void pretrainedNamesWinOverRandomInitNames() {
        assertEquals(List.of("fc2", "fc1", "block5_pool"),
                ZooArchitecture.VGG16.resolveFeatureLayers(List.of("input_1", "block5_pool", "17", "fc1", "fc2", "predictions")));
        assertEquals(List.of("avg_pool"), ZooArchitecture.RESNET50.resolveFeatureLayers(List.of("avg_pool", "fc1000")));
    }
}
