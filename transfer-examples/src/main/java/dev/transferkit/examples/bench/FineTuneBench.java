package dev.transferkit.examples.bench;

import dev.transferkit.finetune.Augmentation;
import dev.transferkit.finetune.EpochStats;
import dev.transferkit.finetune.FineTuneListener;
import dev.transferkit.finetune.FineTuner;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fine-tuning speed and memory against PyTorch, one configuration per run (run it once per configuration, so that each
 * peak RSS is that configuration's own): the real nsfwjs MobileNetV2 at 224x224 cut after {@code block_13_expand_relu},
 * the last N blocks (or the whole base) trainable with batch normalisation in inference mode, a new head GAP -> dense
 * 128 -> dropout 0.3 -> softmax, Adam 1e-4, horizontal flips so that the frozen prefix runs on every batch, as in
 * {@code scripts/torch_finetune_peer.py}, which runs right after in a child process with the same settings. Images/s is
 * the median over the phase-2 epochs after the first; peak RSS is the JVM's high-water mark (VmHWM).
 *
 * <pre>
 * mvn -q -B -pl transfer-examples -am test-compile exec:java -Dexample=dev.transferkit.examples.bench.FineTuneBench \
 *   -Dexec.args="--blocks 2 --batch 16 --images 96 --epochs 4"
 * </pre>
 * Options: {@code --blocks N|all}, {@code --batch}, {@code --images} (training images, two classes), {@code --epochs}
 * (phase 2), {@code --threads} (peer), {@code --no-torch}, {@code --python}, {@code --peer PATH}.
 */
public final class FineTuneBench {
    private static final String CUT = "block_13_expand_relu";
    private static final Pattern MEDIAN = Pattern.compile("median ([0-9.]+) img/s");
    private static final Pattern RSS = Pattern.compile("peak_rss ([0-9.]+) MB");

    private FineTuneBench() {
    }

    /**
     * @param args see the class documentation
     * @throws IOException when the images cannot be written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = InferenceBench.parse(args);
        String blocks = opt.getOrDefault("blocks", "2");
        int batch = Integer.parseInt(opt.getOrDefault("batch", "16"));
        int images = Integer.parseInt(opt.getOrDefault("images", "96"));
        int epochs = Integer.parseInt(opt.getOrDefault("epochs", "4"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "2"));
        System.out.println("# FineTuneBench");
        System.out.println(Machine.describe());
        System.out.println("args: " + String.join(" ", args) + "; load at start: " + Machine.loadAverage());

        BaseModel model = NsfwjsSource.mobileNetV2().load();
        Path work = Files.createTempDirectory("transferkit-finetunebench-");
        try {
            writeImages(work.resolve("data"), images);
            List<EpochStats> phase2 = new ArrayList<>();
            FineTuner.Builder tuner = FineTuner.builder().setBaseModel(model).optCutLayer(CUT).optHead(new int[]{128}, 0.3)
                    .optPhase1(1, 1e-3).optBatchSize(batch)
                    .optAugmentation(Augmentation.builder().optHorizontalFlip(true).build(), false)
                    .optListener(new FineTuneListener() {
                        @Override
                        public void onEpochEnd(EpochStats stats) {
                            System.out.println("  " + stats);
                            if (stats.phase() == 2) {
                                phase2.add(stats);
                            }
                        }
                    });
            if (blocks.equals("all")) {
                tuner.optPhase2(epochs, firstLayer(model.graph()), 1e-4, FineTuner.Phase2Updater.ADAM);
            } else {
                tuner.optPhase2(epochs, Integer.parseInt(blocks), 1e-4, FineTuner.Phase2Updater.ADAM);
            }
            tuner.build().fit(ImageFolder.open(work.resolve("data")), "train", null);
            double[] rates = phase2.stream().skip(phase2.size() > 1 ? 1 : 0).mapToDouble(s -> images / s.seconds()).sorted().toArray();
            double tk = rates[rates.length / 2];
            double rss = Machine.statusKb("VmHWM") / 1024.0;
            double[] peer = opt.containsKey("no-torch") ? new double[]{Double.NaN, Double.NaN}
                    : peer(opt.getOrDefault("python", "/usr/bin/python3"), opt.getOrDefault("peer", "scripts/torch_finetune_peer.py"),
                    batch, threads, blocks);
            System.out.println("\n| trainable | batch | TransferKit img/s | PyTorch img/s | ratio | TransferKit peak RSS | PyTorch peak RSS |");
            System.out.println("|---|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2fx | %.0f MB | %.0f MB |%n",
                    blocks.equals("all") ? "whole base" : "last " + blocks + " blocks", batch, tk, peer[0], tk / peer[0], rss, peer[1]);
            System.out.println("load at end: " + Machine.loadAverage());
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** @return the first layer with parameters, in topological order */
    private static String firstLayer(ComputationGraph g) {
        for (int i : g.topologicalSortOrder()) {
            var v = g.getVertices()[i];
            if (v.hasLayer() && v.getLayer().numParams() > 0) {
                return v.getVertexName();
            }
        }
        throw new IllegalStateException("The network has no layer with parameters.");
    }

    private static void writeImages(Path data, int n) throws IOException {
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            String cls = i % 2 == 0 ? "a" : "b";
            Path dir = Files.createDirectories(data.resolve("train").resolve(cls));
            BufferedImage img = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
            int base = cls.equals("a") ? 0xC04020 : 0x2040C0;
            for (int y = 0; y < 224; y++) {
                for (int x = 0; x < 224; x++) {
                    img.setRGB(x, y, base ^ r.nextInt(0x202020));
                }
            }
            ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
        }
    }


    /** @return the peer's median images/s and peak RSS in MB, NaN where it failed (its output is printed) */
    private static double[] peer(String python, String script, int batch, int threads, String blocks) {
        try {
            Process p = new ProcessBuilder(python, script, String.valueOf(batch), String.valueOf(threads), blocks, "8", "224")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.MINUTES);
            Matcher m = MEDIAN.matcher(out);
            Matcher r = RSS.matcher(out);
            if (m.find() && r.find()) {
                return new double[]{Double.parseDouble(m.group(1)), Double.parseDouble(r.group(1))};
            }
            System.out.println("PyTorch peer failed: " + out.strip());
        } catch (IOException e) {
            System.out.println("PyTorch peer could not start (" + python + " " + script + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new double[]{Double.NaN, Double.NaN};
    }
}
