package dev.transferkit.examples.bench;

import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;
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
import java.util.Random;
import java.util.function.Supplier;

/**
 * Measures frozen-network inference speed in one run, on one machine: TransferKit's {@link InferenceEngine} (the DL4J
 * network exported to ONNX and run in ONNX Runtime) against plain ONNX Runtime on torchvision's own ONNX export of the
 * same architecture (random weights, {@code scripts/export_torchvision_onnx.py}) and against PyTorch
 * ({@code torch_peer.py}), for VGG16, a torchvision-equivalent ResNet50, and the real nsfwjs MobileNetV2 and
 * InceptionV3 (Keras architectures), at several batch sizes; then the end-to-end extraction rate from JPEG photos
 * (640x480 and 3000x2000) to an HDF5 store against TransferKit's pure forward rate. Timings are medians of
 * {@code --iters} runs after warm-up runs. The CPU's vector flags are printed with the results.
 *
 * <pre>
 * mvn -q -B -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.InferenceBench \
 *   -Dexec.args="--nets vgg16,resnet50,mobilenet_v2,inception_v3 --batches 1,16,32 --iters 5 --threads 2 --extract 192"
 * </pre>
 * With {@code --imported}, TransferKit also runs torchvision's ONNX file itself (an imported model:
 * {@code InferenceEngine.compile(OnnxModel, ...)}, the path {@code OnnxSource} models take), timed against plain ONNX
 * Runtime on the same file.
 * Options: {@code --nets} (comma list), {@code --batches}, {@code --iters}, {@code --threads}, {@code --dl4j} (also
 * time DL4J's own layers), {@code --no-spin} (ONNX Runtime's threads sleep between operations), {@code --no-torch}, {@code --no-ort}, {@code --extract N} (JPEGs per size; 0 = skip),
 * {@code --python} (default /usr/bin/python3), {@code --torch-peer PATH} (default scripts/torch_peer.py),
 * {@code --onnx-dir DIR} (exported peer models, default target/torchvision-onnx).
 */
public final class InferenceBench {
    /** A benchmarked network: how to get it, the vertex to run, and torchvision's name for the peers. */
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
        int[] batches = Arrays.stream(opt.getOrDefault("batches", "1,16,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int iters = Integer.parseInt(opt.getOrDefault("iters", "5"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        int extract = Integer.parseInt(opt.getOrDefault("extract", "0"));
        EngineOptions options = EngineOptions.builder().optThreads(threads).optSpinWait(!opt.containsKey("no-spin")).build();
        String python = opt.getOrDefault("python", "/usr/bin/python3");
        TorchPeer torch = new TorchPeer(python, Path.of(opt.getOrDefault("torch-peer", "scripts/torch_peer.py")));
        OrtFilePeer ort = new OrtFilePeer(python, Path.of("scripts/export_torchvision_onnx.py").toAbsolutePath(),
                Path.of(opt.getOrDefault("onnx-dir", "target/torchvision-onnx")).toAbsolutePath());
        boolean runTorch = !opt.containsKey("no-torch") && torch.available();
        boolean runOrt = !opt.containsKey("no-ort");
        boolean runDl4j = opt.containsKey("dl4j");
        boolean runImported = opt.containsKey("imported");

        System.out.println("# InferenceBench");
        System.out.println(Machine.describe());
        System.out.println("threads=" + threads + "; " + options + "; load at start: " + Machine.loadAverage());
        System.out.println("args: " + String.join(" ", args));

        List<String> rows = new ArrayList<>();
        for (String name : nets) {
            Net net = NETS.get(name.trim());
            if (net == null) {
                throw new IllegalArgumentException("Unknown network '" + name + "'; choose from " + NETS.keySet() + ".");
            }
            BaseModel model = net.model().get();
            try (InferenceEngine engine = InferenceEngine.compile(model.graph(), net.output(), model.inputSpec(), options)) {
                double gflopPerImage = engine.report().flopsPerImage() / 1e9;
                System.out.printf(Locale.ROOT, "%n%s: %.2f GFLOP/image, %s%n", name, gflopPerImage, engine.report());
                for (int batch : batches) {
                    Nd4j.getRandom().setSeed(1);
                    INDArray x = Nd4j.rand(model.inputSpec().batchShape(batch));
                    double tk = imagesPerSecond(() -> engine.output(x), batch, iters);
                    double plain = runOrt ? ort.imagesPerSecond(net.torchName(), model.inputSpec().height(), batch, threads,
                            iters).orElse(Double.NaN) : Double.NaN;
                    double pt = runTorch ? torch.imagesPerSecond(net.torchName(), batch, threads).orElse(Double.NaN) : Double.NaN;
                    double dl4j = runDl4j ? imagesPerSecond(() -> model.graph().outputSingle(false, x), batch, iters) : Double.NaN;
                    double imported = runImported ? imported(ort.export(net.torchName()), model.inputSpec().height(), batch, options, iters)
                            : Double.NaN;
                    String row = String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.2fx | %.2fx | %.2f | %.0f | %.2f | %.2fx |",
                            name, batch, tk, plain, pt, tk / plain, tk / pt, dl4j, tk * gflopPerImage, imported, imported / plain);
                    System.out.println(row);
                    rows.add(row);
                    x.close();
                }
            }
            Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            System.gc();
        }
        System.out.println("\n## Frozen forward, images/s (median), 224x224 (InceptionV3 299x299)\n");
        System.out.println("| network | batch | TransferKit | plain ORT, torchvision export | PyTorch | TransferKit/ORT "
                + "| TransferKit/PyTorch | DL4J layers | TransferKit GFLOP/s | TransferKit on the ONNX file | imported/ORT |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);

        if (extract > 0) {
            System.out.println("\n## End-to-end extraction: JPEG files -> decode/resize (parallel) -> forward -> AVG pooling -> HDF5\n");
            System.out.println("| photos | count | batch | forward only | files -> HDF5 | ratio |\n|---|---|---|---|---|---|");
            extraction(extract, 640, 480, iters);
            extraction(Math.max(8, extract / 3), 3000, 2000, iters);
        }
        System.out.println("\n" + Machine.describe());
        System.out.println("load at end: " + Machine.loadAverage());
    }

    /** Times TransferKit running an ONNX file itself, as an imported model does; NaN when there is no file. */
    private static double imported(Path file, int size, int batch, EngineOptions options, int iters) {
        if (file == null) {
            return Double.NaN;
        }
        dev.transferkit.onnx.OnnxModel model = dev.transferkit.onnx.OnnxModel.read(file);
        InputSpec input = new InputSpec(size, size, 3, DataFormat.NCHW); // torchvision's files take NCHW images
        INDArray x = Nd4j.rand(input.batchShape(batch));
        try (InferenceEngine engine = InferenceEngine.compile(model, model.outputNames(), input, options)) {
            return imagesPerSecond(() -> engine.output(x).close(), batch, iters);
        }
    }

    /**
     * End-to-end: JPEG files -> decode/resize (parallel, prefetched) -> engine -> pooled features -> HDF5. One untimed
     * extraction of the same files runs first, so the timed one sees a warm JVM (JIT-compiled decoding and resizing,
     * native libraries loaded), as a long extraction does after its first batches.
     */
    private static void extraction(int n, int width, int height, int iters) throws IOException {
        BaseModel model = NsfwjsSource.mobileNetV2().load();
        String layer = model.defaultFeatureLayer();
        int batch = 32;
        Path work = Files.createTempDirectory("transferkit-inferencebench-");
        try {
            writeJpegs(work.resolve("data"), n, width, height);
            InferenceEngine engine = model.engine(layer).orElseThrow();
            INDArray x = Nd4j.rand(model.inputSpec().batchShape(batch));
            double forward = imagesPerSecond(() -> engine.output(x).close(), batch, iters);
            FeatureExtractor extractor = FeatureExtractor.of(ExtractionSettings.builder().setModel(model).optLayer(layer).optPooling(Pooling.AVG)
                    .optBatchSize(batch).optOverwrite(true).build());
            ImageFolder folder = ImageFolder.open(work.resolve("data"));
            extractor.extract(folder, "train", work.resolve("warm-up.h5")).close();
            long t0 = System.nanoTime();
            try (FeatureStore store = extractor.extract(folder, "train", work.resolve("f.h5"))) {
                double seconds = (System.nanoTime() - t0) / 1e9;
                double e2e = store.rows() / seconds;
                System.out.printf(Locale.ROOT, "| %dx%d JPEG | %d | %d | %.2f img/s | %.2f img/s | %.2fx |%n",
                        width, height, store.rows(), batch, forward, e2e, e2e / forward);
            }
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Photo-like JPEGs: smooth colour gradients with blobs and mild noise, quality 0.9. */
    private static void writeJpegs(Path data, int n, int width, int height) throws IOException {
        Random r = new Random(3);
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        for (int i = 0; i < n; i++) {
            Path dir = Files.createDirectories(data.resolve("train").resolve(i % 2 == 0 ? "a" : "b"));
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            int[] row = new int[width];
            double fx = 2 + r.nextDouble() * 6;
            double fy = 2 + r.nextDouble() * 6;
            for (int y = 0; y < height; y++) {
                for (int xx = 0; xx < width; xx++) {
                    double u = (double) xx / width;
                    double v = (double) y / height;
                    int red = (int) (127 + 100 * Math.sin(fx * u + 3 * v) + r.nextInt(12));
                    int green = (int) (127 + 100 * Math.cos(fy * v - 2 * u) + r.nextInt(12));
                    int blue = (int) (127 + 100 * Math.sin(fx * fy * u * v) + r.nextInt(12));
                    row[xx] = (clamp(red) << 16) | (clamp(green) << 8) | clamp(blue);
                }
                img.setRGB(0, y, width, 1, row, 0, width);
            }
            try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(dir.resolve(i + ".jpg").toFile())) {
                writer.setOutput(out);
                writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
            }
        }
        writer.dispose();
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Median over {@code iters} samples, each repeating the run until it lasts at least 0.3 s (after warm-up). */
    static double imagesPerSecond(Runnable run, int batch, int iters) {
        run.run();
        long w = System.nanoTime();
        run.run();
        int reps = (int) Math.max(1, Math.ceil(0.3e9 / Math.max(1, System.nanoTime() - w)));
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                run.run();
            }
            t[i] = (System.nanoTime() - s) / 1e9 / reps;
        }
        Arrays.sort(t);
        return batch / t[iters / 2];
    }

    /** Parses {@code --key value} options; {@code --no-*} and {@code --dl4j} are flags. Shared by the benchmarks. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument '" + args[i] + "'; options start with --.");
            }
            String key = args[i].substring(2);
            if (key.startsWith("no-") || key.equals("dl4j") || key.equals("imported")) {
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
