package dev.transferkit.examples.bench;

import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.Pooling;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.VGG16;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Measures frozen-network inference speed in one run: DL4J's layers vs TransferKit's {@link InferenceEngine} vs the
 * PyTorch peer ({@code torch_peer.py}), for VGG16, a torchvision-equivalent ResNet50, and the real nsfwjs MobileNetV2
 * and InceptionV3, with GFLOP/s and the percentage of the machine's peak convolution throughput (the best large 3x3
 * {@code conv2d}); then the end-to-end extraction rate from JPEG files to an HDF5 store against the engine's pure
 * forward rate. Timings are medians of {@code --iters} runs after one warm-up run.
 *
 * <pre>
 * mvn -q -B -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.InferenceBench \
 *   -Dexec.args="--nets vgg16,resnet50,mobilenet_v2,inception_v3 --batches 16,32 --iters 3 --threads 2 --extract 512"
 * </pre>
 * Options: {@code --nets} (comma list), {@code --batches}, {@code --iters}, {@code --threads}, {@code --no-dl4j},
 * {@code --no-torch}, {@code --no-peak}, {@code --extract N} (0 = skip), {@code --python}, {@code --torch-peer PATH}
 * (default /work/shared/bench/torch_peer.py), {@code --layout NHWC|NCHW}.
 */
public final class InferenceBench {
    /** A benchmarked network: how to get it, the vertex to run, and torchvision's name for the peer. */
    private record Net(String name, String torchName, Supplier<BaseModel> model, String output) {
    }

    private static final Map<String, Net> NETS = new LinkedHashMap<>();

    static {
        NETS.put("vgg16", new Net("vgg16", "vgg16", () -> wrap("vgg16-random", VGG16.builder().numClasses(1000).build().init()), "20"));
        NETS.put("resnet50", new Net("resnet50", "resnet50", () -> wrap("resnet50-torchvision-random", TorchResNet50.build(1000)), "fc"));
        NETS.put("mobilenet_v2", new Net("mobilenet_v2", "mobilenet_v2", () -> NsfwjsSource.mobileNetV2().load(), "dense_3"));
        NETS.put("inception_v3", new Net("inception_v3", "inception_v3", () -> NsfwjsSource.inceptionV3().load(), "dense_3"));
    }

    private InferenceBench() {
    }

    private static BaseModel wrap(String name, ComputationGraph g) {
        return BaseModel.builder().setName(name).setGraph(g).setInputSpec(new InputSpec(224, 224, 3, DataFormat.NCHW))
                .setPreprocessing(Preprocessing.TORCH).build();
    }

    /**
     * @param args see the class documentation
     * @throws IOException when the extraction images cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = parse(args);
        List<String> nets = List.of(opt.getOrDefault("nets", String.join(",", NETS.keySet())).split(","));
        int[] batches = Arrays.stream(opt.getOrDefault("batches", "16,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int iters = Integer.parseInt(opt.getOrDefault("iters", "3"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        int extract = Integer.parseInt(opt.getOrDefault("extract", "0"));
        EngineOptions options = EngineOptions.builder().optThreads(threads)
                .optLayout(DataFormat.valueOf(opt.getOrDefault("layout", "NHWC"))).build();
        TorchPeer torch = new TorchPeer(opt.getOrDefault("python", "/usr/bin/python3"),
                Path.of(opt.getOrDefault("torch-peer", "/work/shared/bench/torch_peer.py")));
        boolean runTorch = !opt.containsKey("no-torch") && torch.available();
        boolean runDl4j = !opt.containsKey("no-dl4j");

        System.out.println("# InferenceBench");
        System.out.println("CPU: " + Machine.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores; "
                + "threads=" + threads + "; " + options + "; load at start: " + Machine.loadAverage());
        System.out.println("args: " + String.join(" ", args));

        double peak = 0;
        if (!opt.containsKey("no-peak")) {
            System.out.println("\n## Peak: ND4J native conv2d, best of " + iters + ", batch 16\n");
            System.out.println("| input -> output | layout | weights | GFLOP/s |\n|---|---|---|---|");
            for (ConvPeak.Result r : ConvPeak.measure(16, iters)) {
                System.out.println(r);
                peak = Math.max(peak, r.gflops());
            }
            System.out.printf(Locale.ROOT, "%nMeasured peak: %.0f GFLOP/s%n", peak);
        }

        List<String> rows = new ArrayList<>();
        for (String name : nets) {
            Net net = NETS.get(name.trim());
            if (net == null) {
                throw new IllegalArgumentException("Unknown network '" + name + "'; choose from " + NETS.keySet() + ".");
            }
            BaseModel model = net.model().get();
            InferenceEngine engine = InferenceEngine.compile(model.graph(), net.output(), model.inputSpec(), options);
            double gflopPerImage = engine.report().flopsPerImage() / 1e9;
            System.out.printf(Locale.ROOT, "%n%s: %.2f GFLOP/image, %s%n", name, gflopPerImage, engine.report());
            for (int batch : batches) {
                Nd4j.getRandom().setSeed(1);
                INDArray x = Nd4j.rand(model.inputSpec().batchShape(batch));
                double eng = imagesPerSecond(() -> engine.output(x), batch, iters);
                double dl4j = runDl4j ? imagesPerSecond(() -> model.graph().outputSingle(false, x), batch, iters) : Double.NaN;
                OptionalDouble pt = runTorch ? torch.imagesPerSecond(net.torchName(), batch, threads) : OptionalDouble.empty();
                double tp = pt.orElse(Double.NaN);
                String row = String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1fx | %.2fx | %.0f | %.0f | %s |",
                        name, batch, dl4j, eng, tp, eng / dl4j, eng / tp, eng * gflopPerImage, tp * gflopPerImage,
                        peak > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * eng * gflopPerImage / peak) : "-");
                System.out.println(row);
                rows.add(row);
            }
            if (opt.containsKey("profile")) {
                INDArray x = Nd4j.rand(model.inputSpec().batchShape(batches[0]));
                System.out.println(engine.profile(x, iters).lines().limit(25).reduce("", (a, b) -> a + b + "\n"));
            }
            engine.releaseBuffers(); // ND4J memory is off-heap: free it before the next network rather than at a GC
            Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            System.gc();
        }
        System.out.println("\n## Images/s (median), 224x224 (InceptionV3 299x299)\n");
        System.out.println("| network | batch | DL4J layers | engine | PyTorch | engine/DL4J | engine/PyTorch "
                + "| engine GFLOP/s | PyTorch GFLOP/s | engine % of peak |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);

        if (extract > 0) {
            extraction(extract, iters, options);
        }
        System.out.println("\nload at end: " + Machine.loadAverage());
    }

    /** End-to-end: JPEG files -> decode/resize (parallel, prefetched) -> engine -> pooled features -> HDF5. */
    private static void extraction(int n, int iters, EngineOptions options) throws IOException {
        BaseModel model = NsfwjsSource.mobileNetV2().load();
        String layer = model.defaultFeatureLayer();
        int batch = 32;
        Path work = Files.createTempDirectory("transferkit-inferencebench-");
        writeJpegs(work.resolve("data"), n);
        InferenceEngine engine = model.engine(layer).orElseThrow();
        INDArray x = Nd4j.rand(model.inputSpec().batchShape(batch));
        double forward = imagesPerSecond(() -> engine.output(x), batch, iters);
        long t0 = System.nanoTime();
        try (FeatureStore store = FeatureExtractor.builder().setModel(model).optLayer(layer).optPooling(Pooling.AVG)
                .optBatchSize(batch).build().extract(ImageFolder.open(work.resolve("data")), "train", work.resolve("f.h5"))) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            double e2e = store.rows() / seconds;
            System.out.printf(Locale.ROOT, "%n## End-to-end extraction (%s, layer %s, AVG, batch %d, %d JPEGs 320x240)%n%n"
                            + "| engine forward only | files -> HDF5 | overhead |%n|---|---|---|%n| %.2f img/s | %.2f img/s | %.1f%% |%n",
                    model.name(), layer, batch, store.rows(), forward, e2e, 100 * (1 - e2e / forward));
        }
    }

    private static void writeJpegs(Path data, int n) throws IOException {
        Random r = new Random(3);
        for (int i = 0; i < n; i++) {
            Path dir = Files.createDirectories(data.resolve("train").resolve(i % 2 == 0 ? "a" : "b"));
            BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
            int base = r.nextInt(0x1000000);
            for (int y = 0; y < 240; y++) {
                for (int xx = 0; xx < 320; xx++) {
                    img.setRGB(xx, y, (base + xx * 3 + y * 515 + r.nextInt(16)) & 0xffffff);
                }
            }
            ImageIO.write(img, "jpg", dir.resolve(i + ".jpg").toFile());
        }
    }

    private static double imagesPerSecond(Runnable run, int batch, int iters) {
        run.run();
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            run.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        Arrays.sort(t);
        return batch / t[iters / 2];
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument '" + args[i] + "'; options start with --.");
            }
            String key = args[i].substring(2);
            if (key.startsWith("no-") || key.equals("profile")) {
                m.put(key, "true");
            } else if (i + 1 < args.length) {
                m.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("The option --" + key + " needs a value.");
            }
        }
        return m;
    }
}
