package dev.transferkit.examples.bench;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Shows that extraction memory does not grow with the number of images: generates N random 64x64 PNGs, extracts
 * flattened 7x7x64 activations (3,136 floats per image) of a small random CNN into an HDF5 store, and prints the
 * largest heap in use (sampled after every batch) and the process's peak resident set size (VmHWM).
 *
 * <p>Usage: {@code ExtractionMemoryBench N [work-dir]}; run it with N and 10N in separate JVMs and compare:
 * {@code mvn -q -B -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.ExtractionMemoryBench -Dexec.args=500}.
 */
public final class ExtractionMemoryBench {
    private ExtractionMemoryBench() {
    }

    /**
     * @param args image count, optional work directory
     * @throws IOException when images cannot be written
     */
    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(args[0]);
        Path work = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("transferkit-membench-");
        Path data = work.resolve("data");
        Random r = new Random(1);
        for (String cls : List.of("a", "b")) {
            Path dir = Files.createDirectories(data.resolve("train").resolve(cls));
            for (int i = 0; i < n / 2; i++) {
                BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 64; y++) {
                    for (int x = 0; x < 64; x++) {
                        img.setRGB(x, y, r.nextInt(0x1000000));
                    }
                }
                ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
            }
        }
        BaseModel model = BaseModel.builder().setName("membench-cnn").setGraph(network())
                .setInputSpec(new InputSpec(64, 64, 3, DataFormat.NCHW)).setPreprocessing(Preprocessing.UNIT)
                .optFeatureLayers(List.of("conv3")).optProvenance(Map.of("source", "random weights, seed 7")).build();
        long[] maxHeap = {0};
        Runtime rt = Runtime.getRuntime();
        long t0 = System.nanoTime();
        try (FeatureStore store = FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optPooling(Pooling.FLATTEN).optBatchSize(32)
                .optListener(p -> maxHeap[0] = Math.max(maxHeap[0], rt.totalMemory() - rt.freeMemory())).build())
                .extract(ImageFolder.open(data), "train", work.resolve("train.h5"))) {
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("images=%d rows=%d dim=%d store=%.1f MB time=%.1f s rate=%.0f img/s maxHeapUsed=%.1f MB peakRSS=%s maxHeap(-Xmx)=%.0f MB%n",
                    n, store.rows(), store.dim(), Files.size(work.resolve("train.h5")) / 1e6, s, n / s, maxHeap[0] / 1e6,
                    peakRss(), rt.maxMemory() / 1e6);
        }
        System.out.println("JVM: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    private static String peakRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return line.substring(6).trim();
            }
        }
        return "unknown (no /proc/self/status)";
    }

    /** The small random CNN both memory benchmarks use: 64x64 RGB in, conv1-conv3 (16, 32, 64 filters, stride 2). */
    static ComputationGraph network() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(64, 64, 3))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16).activation(Activation.RELU).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(32).activation(Activation.RELU).build(), "conv1")
                .addLayer("conv3", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(64).activation(Activation.RELU).build(), "conv2")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv3")
                .addLayer("out", new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build());
        g.init();
        return g;
    }
}
