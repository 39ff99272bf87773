package dev.transferkit.examples.bench;

import dev.transferkit.examples.data.FashionMnist;
import dev.transferkit.finetune.FineTuneResult;
import dev.transferkit.finetune.FineTuner;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.OnnxSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Does fine-tuning memory stay flat as the dataset grows? One run per dataset size (run it once per size, so that each
 * peak RSS is that size's own): the first N Fashion-MNIST training images (28x28 grey, resized to the network's
 * input), an imported ResNet18 ONNX file (torchvision's architecture, exported with random weights by
 * {@code scripts/export_torchvision_onnx.py}), a new dense head trained for one epoch over the frozen base, then one
 * epoch with the last block unfrozen. Prints images/s and the JVM's peak RSS (VmHWM); the first N test images (at
 * most 10,000) serve as validation.
 *
 * <pre>
 * java ... dev.transferkit.examples.bench.FineTuneScaleBench --images 2500 --onnx target/torchvision-onnx/resnet18-32.onnx
 * java ... dev.transferkit.examples.bench.FineTuneScaleBench --images 25000 --onnx target/torchvision-onnx/resnet18-32.onnx
 * </pre>
 */
public final class FineTuneScaleBench {
    private FineTuneScaleBench() {
    }

    /**
     * @param args {@code --images N} (training images, at most 60,000), {@code --onnx FILE} (a ResNet18 export with a
     *             32x32 or open input size), {@code --size S} (input size, default 32), {@code --batch B} (default 64)
     * @throws IOException when /proc cannot be read
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = InferenceBench.parse(args);
        int images = Integer.parseInt(opt.getOrDefault("images", "2500"));
        int size = Integer.parseInt(opt.getOrDefault("size", "32"));
        int batch = Integer.parseInt(opt.getOrDefault("batch", "64"));
        Path onnx = Path.of(opt.getOrDefault("onnx", "target/torchvision-onnx/resnet18-32.onnx"));
        if (!Files.isRegularFile(onnx)) {
            throw new IllegalArgumentException("No ONNX model at " + onnx + "; export one with scripts/export_torchvision_onnx.py"
                    + " or name it with --onnx.");
        }
        ImageFolder data = ImageFolder.open(FashionMnist.builder().optLimit(images).build().prepare());
        BaseModel base = OnnxSource.builder().setFile(onnx).optInputSize(size, size).build().load();
        System.out.println("# FineTuneScaleBench: " + images + " Fashion-MNIST training images at " + size + "x" + size
                + ", " + base.name() + ", batch " + batch);
        System.out.println(Machine.describe());
        long t0 = System.nanoTime();
        FineTuneResult r = FineTuner.builder().setBaseModel(base).optHead(new int[]{64}, 0.2).optBatchSize(batch).optSeed(1)
                .optPhase1(1, 1e-3).optPhase2(1, "/layer4/layer4.1/conv1/Conv_output_0", 1e-4, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "test");
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "images %d: %.1f s for 2 epochs (%.1f img/s), validation accuracy %s, peak_rss %.0f MB%n",
                images, seconds, 2.0 * images / seconds, r.history().phase(2).isEmpty() ? "n/a"
                        : String.format(Locale.ROOT, "%.3f", r.history().phase(2).get(0).validationAccuracy()),
                Machine.statusKb("VmHWM") / 1024.0);
    }
}
