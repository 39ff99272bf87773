package dev.transferkit.finetune;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.ImageOptions;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.LabeledImage;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A tiny conv network with batch normalisation and a generated red-vs-blue dataset. */
final class TestData {
    private TestData() {
    }

    /** in → conv c1 → bn1 → conv c2 → bn2 → gap → out (10 classes); BN statistics are made non-trivial. */
    static BaseModel tinyModel() {
        return tinyModel(DataFormat.NCHW);
    }

    /** The same network in either layout (NHWC like the TF.js-imported MobileNetV2). */
    static BaseModel tinyModel(DataFormat format) {
        CNN2DFormat f = format == DataFormat.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(16, 16, 3, f))
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 2).dataFormat(f).activation(Activation.RELU).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().dataFormat(f).build(), "c1")
                // The Keras importer (hence the NHWC MobileNetV2) puts a keep-everything dropout on every layer.
                .addLayer("c2", new ConvolutionLayer.Builder(3, 3).nOut(8).dataFormat(f).activation(Activation.RELU)
                        .dropOut(f == CNN2DFormat.NHWC ? 1.0 : 0.0).build(), "bn1")
                .addLayer("bn2", new BatchNormalization.Builder().dataFormat(f).build(), "c2")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG)
                        .poolingDimensions(f == CNN2DFormat.NHWC ? new int[]{1, 2} : new int[]{2, 3}).build(), "bn2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        // Give every parameter, running statistics included, a distinctive non-default value.
        g.setParams(g.params().add(org.nd4j.linalg.factory.Nd4j.rand(new Random(3).nextLong(), g.params().shape()).mul(0.5)));
        return BaseModel.builder().setName("tiny-bn").setGraph(g).setInputSpec(new InputSpec(16, 16, 3, format))
                .setPreprocessing(Preprocessing.UNIT).optFeatureLayers(List.of("bn2")).build();
    }

    /** Writes root/{train,validation}/{blue,red}/*.png: noisy squares, red or blue. */
    static Path redBlue(Path root, int trainPerClass, int validationPerClass) throws IOException {
        Random random = new Random(11);
        for (Map.Entry<String, Integer> split : Map.of("train", trainPerClass, "validation", validationPerClass).entrySet()) {
            for (String cls : List.of("red", "blue")) {
                Path dir = Files.createDirectories(root.resolve(split.getKey()).resolve(cls));
                for (int i = 0; i < split.getValue(); i++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                    int x0 = random.nextInt(6);
                    int y0 = random.nextInt(6);
                    for (int y = 0; y < 16; y++) {
                        for (int x = 0; x < 16; x++) {
                            boolean in = x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
                            int n = random.nextInt(60);
                            int strong = 180 + random.nextInt(70);
                            int rgb = !in ? (n << 16 | n << 8 | n)
                                    : cls.equals("red") ? (strong << 16 | n << 8 | n) : (n << 16 | n << 8 | strong);
                            img.setRGB(x, y, rgb);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
                }
            }
        }
        return root;
    }

    /** @return the network's loss on the two-class validation split of {@code data}, in inference mode */
    static double validationLoss(BaseModel model, ImageFolder data) {
        List<LabeledImage> val = data.images("validation");
        var pipe = model.pipeline(ImageOptions.defaults());
        List<INDArray> xs = new ArrayList<>();
        INDArray y = Nd4j.zeros(DataType.FLOAT, val.size(), 2);
        for (int i = 0; i < val.size(); i++) {
            xs.add(pipe.load(val.get(i).path()));
            y.putScalar(i, model.labels().indexOf(val.get(i).label()), 1f);
        }
        return model.graph().score(new DataSet(Nd4j.concat(0, xs.toArray(INDArray[]::new)), y), false);
    }
}
