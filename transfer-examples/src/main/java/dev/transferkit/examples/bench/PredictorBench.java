package dev.transferkit.examples.bench;

import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.extract.Pooling;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Warm prediction speed of a fine-tuned predictor against the frozen-features predictor of the same base: the
 * fine-tuned network's {@code classify} on a preprocessed batch, against the base network's forward pass to the
 * fine-tuning's cut layer with average pooling (what a frozen-features predictor computes before its linear head,
 * whose cost is negligible). Same batch, same run; median of samples of at least 0.3 s after warm-up.
 *
 * <pre>
 * java -cp transfer-examples/target/classes:$(cat transfer-examples/target/classpath.txt) \
 *     dev.transferkit.examples.bench.PredictorBench transferkit-output/finetune/finetune/food-vs-nonfood-finetuned.zip 32
 * </pre>
 */
public final class PredictorBench {
    private PredictorBench() {
    }

    /**
     * @param args the fine-tuned predictor zip, and the batch size (default 32)
     */
    public static void main(String[] args) {
        TransferModel tuned = TransferModel.load(Path.of(args[0]));
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        String baseName = tuned.provenance().get("base.model");
        String cut = tuned.provenance().get("cut.layer");
        if (!"nsfwjs-mobilenet_v2".equals(baseName) && !"nsfwjs-inception_v3".equals(baseName)) {
            throw new IllegalArgumentException("The bench knows the nsfwjs bases; the predictor's base is " + baseName + ".");
        }
        BaseModel base = (baseName.endsWith("mobilenet_v2") ? dev.transferkit.model.NsfwjsSource.mobileNetV2()
                : dev.transferkit.model.NsfwjsSource.inceptionV3()).load();
        FeaturePipeline frozen = new FeaturePipeline(base, cut, Pooling.AVG);
        System.out.println("# PredictorBench");
        System.out.println(Machine.describe());
        System.out.println("fine-tuned: " + args[0] + "; frozen: " + base.name() + " " + cut + " AVG; batch " + batch);
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(base.inputSpec().batchShape(batch));
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            paths.add(Path.of("image-" + i));
        }
        double f = InferenceBench.imagesPerSecond(() -> frozen.features(x).close(), batch, 5);
        double t = InferenceBench.imagesPerSecond(() -> tuned.classify(x, paths), batch, 5);
        System.out.printf(Locale.ROOT, "%n| predictor | images/s |%n|---|---|%n| frozen features (%s, AVG) | %.2f |%n"
                + "| fine-tuned network | %.2f |%n%nfine-tuned / frozen: %.2fx%n", cut, f, t, t / f);
    }
}
