package dev.transferkit.finetune;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.OnnxSource;
import dev.transferkit.model.Classification;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A ResNet18 exported by PyTorch (random weights, 64x64 input) is imported from its ONNX file, fine-tuned end to end
 * (new head, then the last block unfrozen), saved, reloaded in a fresh JVM, and predicts there exactly as here.
 */
class OnnxFineTuneEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void anImportedResNet18FineTunesSavesAndPredictsTheSameInAFreshJvm() throws Exception {
        Path onnx = exportResNet18(dir.resolve("resnet18.onnx"));
        ImageFolder data = ImageFolder.open(TestData.redBlue(dir.resolve("data"), 12, 4));
        BaseModel base = OnnxSource.builder().setFile(onnx).build().load();
        assertEquals("/Flatten_output_0", base.defaultFeatureLayer(), "the pooled vector before the classifier");
        String lastBlock = "/layer4/layer4.1/conv1/Conv_output_0";
        FineTuneResult r = FineTuner.builder().setBaseModel(base).optHead(new int[]{16}, 0.1).optBatchSize(8).optSeed(3)
                .optPhase1(2, 1e-3).optPhase2(1, lastBlock, 1e-4, FineTuner.Phase2Updater.ADAM)
                .build().fit(data, "train", "validation");
        assertEquals(2, r.history().phase(1).size());
        Path saved = dir.resolve("resnet18-finetuned.zip");
        r.model().save(saved);

        List<Path> images = data.images("validation").stream().map(i -> i.path()).toList();
        TransferModel here = TransferModel.load(saved);
        List<String> expected = new ArrayList<>();
        for (Path image : images) {
            Classification c = here.predict(image);
            expected.add(image.getFileName() + " " + c.label() + " " + String.format(java.util.Locale.ROOT, "%.6f", c.score()));
        }
        List<String> args = new ArrayList<>(List.of(saved.toString()));
        images.forEach(p -> args.add(p.toString()));
        try (ChildJvm child = ChildJvm.start(PredictChild.class, args.toArray(new String[0]))) {
            assertEquals(0, child.waitFor(), () -> "child output: " + child.output());
            List<String> lines = child.output().stream().filter(l -> l.startsWith("prediction ")).map(l -> l.substring(11)).toList();
            assertEquals(expected, lines);
        }
    }

    /** Exports torchvision's ResNet18 (10 classes, random weights) with Debian's PyTorch; skips when it is absent. */
    static Path exportResNet18(Path file) throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "needs /usr/bin/python3 with python3-torch (.ci/run installs it)");
        String script = "import torch, torchvision\n"
                + "torch.manual_seed(0)\n"
                + "m = torchvision.models.resnet18(num_classes=10).eval()\n"
                + "torch.onnx.export(m, torch.randn(1, 3, 64, 64), r'" + file + "', opset_version=13, input_names=['input'],"
                + " output_names=['output'], dynamic_axes={'input': {0: 'n'}, 'output': {0: 'n'}})\n";
        Process p = new ProcessBuilder(python.toString(), "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assumeTrue(p.exitValue() == 0 || !out.contains("No module named"), "needs python3-torch and python3-torchvision: " + out);
        assertEquals(0, p.exitValue(), out);
        return file;
    }

    /** Child-JVM main: {@code PredictChild <predictor.zip> <image>...} prints one "prediction" line per image. */
    public static final class PredictChild {
        private PredictChild() {
        }

        /**
         * @param args the predictor, then images
         */
        public static void main(String[] args) {
            TransferModel model = TransferModel.load(Path.of(args[0]));
            for (int i = 1; i < args.length; i++) {
                Classification c = model.predict(Path.of(args[i]));
                System.out.println("prediction " + Path.of(args[i]).getFileName() + " " + c.label() + " "
                        + String.format(java.util.Locale.ROOT, "%.6f", c.score()));
            }
        }
    }
}
