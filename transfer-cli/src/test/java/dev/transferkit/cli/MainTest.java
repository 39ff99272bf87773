package dev.transferkit.cli;

import dev.transferkit.examples.TinyData;
import dev.transferkit.store.FeatureStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every subcommand of the command line on a tiny network and tiny images, plus its errors and help. */
class MainTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    /** The outcome of one command line. */
    record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void tinyModelAndData() throws IOException {
        model = TinyData.modelZip(dir.resolve("tiny.zip"));
        data = TinyData.dataset(dir.resolve("data"), 6);
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run ok(String... args) {
        Run r = run(args);
        assertEquals(0, r.code(), () -> String.join(" ", args) + " failed:\n" + r.err());
        return r;
    }

    /** Extracts both splits at conv2 and trains a logistic head with a fixed C; returns the predictor. */
    static Path predictor(String name) {
        Path work = dir.resolve(name);
        for (String split : List.of("train", "test")) {
            ok("extract", "-m", model.toString(), "-d", data.toString(), "-s", split, "-l", "conv2",
                    "-o", work.resolve(split + ".h5").toString());
        }
        Path out = work.resolve("predictor.zip");
        ok("train-head", "-m", model.toString(), "--train", work.resolve("train.h5").toString(), "--c", "1",
                "--validation", work.resolve("test.h5").toString(), "-o", out.toString());
        return out;
    }

    @Test
    void classifyPrintsTopKPerImage() {
        Run r = ok("classify", "-m", model.toString(), "-k", "2", data.resolve("test").toString());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(12, lines.size(), r.out());
        assertTrue(lines.get(0).contains("0.png") && lines.get(0).contains("blue") && lines.get(0).contains("red"), lines.get(0));
    }

    @Test
    void extractWritesAStoreAndInspectDescribesIt() {
        Path store = dir.resolve("extract/train.h5");
        Run r = ok("extract", "-m", model.toString(), "-d", data.toString(), "-l", "conv1", "-p", "MAX", "-o", store.toString());
        assertTrue(r.out().contains("12 rows of 8 features"), r.out());
        try (FeatureStore s = FeatureStore.open(store)) {
            assertEquals(12, s.rows());
            assertEquals("conv1", s.spec().layer());
        }
        Run i = ok("inspect", store.toString());
        assertTrue(i.out().contains("12 x 8") && i.out().contains("blue=6, red=6") && i.out().contains("unreadable:   0 images"), i.out());
    }

    @Test
    void probePrintsItsTableAndExtractAutoUsesTheWinner() {
        Path plot = dir.resolve("probe/probe.png");
        Run r = ok("probe", "-m", model.toString(), "-d", data.toString(), "--folds", "2", "-p", "AVG,MAX",
                "-w", dir.resolve("probe").toString(), "--plot", plot.toString());
        assertTrue(r.out().contains("| layer | pooling |") && r.out().contains("Chosen: "), r.out());
        assertTrue(java.nio.file.Files.exists(plot));
        String chosen = r.out().substring(r.out().indexOf("Chosen: ") + 8).split(" ")[0];
        Path store = dir.resolve("auto/train.h5");
        Run auto = ok("extract", "-m", model.toString(), "-d", data.toString(), "-l", "auto", "-o", store.toString());
        assertTrue(auto.out().contains("Chosen: ") && auto.out().contains("Wrote " + store), auto.out());
        assertTrue(auto.out().contains("/" + auto.out().substring(auto.out().indexOf("Chosen: ") + 8).split(" ")[0] + "/"),
                auto.out());
        assertTrue(List.of("conv1", "conv2").contains(chosen), chosen);
    }

    @Test
    void trainHeadPredictAndEvaluate() {
        Path predictor = predictor("linear");
        assertTrue(Files.isRegularFile(predictor));

        Run text = ok("predict", "-m", predictor.toString(), data.resolve("test/red").toString());
        assertEquals(6, text.out().strip().lines().count(), text.out());
        Run csv = ok("predict", "-m", predictor.toString(), "--csv", "-k", "2", data.resolve("test").toString());
        List<String> rows = csv.out().strip().lines().toList();
        assertEquals("file,label_1,score_1,label_2,score_2,error", rows.get(0));
        assertEquals(13, rows.size());

        Run store = ok("evaluate", "-m", predictor.toString(), "--store", dir.resolve("linear/test.h5").toString());
        assertTrue(store.out().contains("accuracy") && store.out().contains("balanced acc"), store.out());
        Run split = ok("evaluate", "-m", predictor.toString(), "-d", data.toString(), "-s", "test");
        assertEquals(store.out(), split.out(), "the same test features give the same report");

        Run inspect = ok("inspect", "--layers", predictor.toString());
        assertTrue(inspect.out().contains("features:   conv2, AVG") && inspect.out().contains("LinearHead"), inspect.out());
    }

    @Test
    void anOnnxModelExtractsFineTunesAndInspectsFromTheCommandLine() throws Exception {
        Path onnx = dir.resolve("onnx/resnet18.onnx");
        java.nio.file.Files.createDirectories(onnx.getParent());
        Path python = Path.of("/usr/bin/python3");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(python), "needs Debian's python3-torch");
        Process p = new ProcessBuilder(python.toString(), "-c", "import torch, torchvision\ntorch.manual_seed(0)\n"
                + "m = torchvision.models.resnet18(num_classes=10).eval()\n"
                + "torch.onnx.export(m, torch.randn(1, 3, 32, 32), r'" + onnx + "', opset_version=13, input_names=['input'],"
                + " output_names=['output'], dynamic_axes={'input': {0: 'n', 2: 'h', 3: 'w'}, 'output': {0: 'n'}})\n")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0 || !out.contains("No module named"), out);
        assertEquals(0, p.exitValue(), out);

        Run open = run("extract", "-m", onnx.toString(), "-d", data.toString(), "-o", dir.resolve("onnx/train.h5").toString());
        assertEquals(1, open.code());
        assertTrue(open.err().contains("leaves its input's height and width open") && open.err().contains("--input-size"), open.err());
        Run extract = ok("extract", "-m", onnx.toString(), "--input-size", "32", "-d", data.toString(),
                "-o", dir.resolve("onnx/train.h5").toString());
        assertTrue(extract.out().contains("512 features (resnet18//Flatten_output_0/AVG)"), extract.out());
        Run inspect = ok("inspect", "--input-size", "32x32", onnx.toString());
        assertTrue(inspect.out().contains("/layer4/layer4.1/relu_1/Relu_output_0") && inspect.out().contains("[512, 1, 1]"),
                inspect.out());
        Path predictor = dir.resolve("onnx/tuned.zip");
        ok("fine-tune", "-m", onnx.toString(), "--input-size", "32", "--preprocessing", "torch", "-d", data.toString(),
                "--dense", "0", "--epochs", "1", "--phase2-epochs", "1", "--unfreeze-from", "/layer4/layer4.1/conv1/Conv_output_0",
                "-b", "8", "-o", predictor.toString());
        ok("predict", "-m", predictor.toString(), data.resolve("test/blue/0.png").toString());
    }

    @Test
    void trainHeadSolverOptionsAreRecordedInTheHead() {
        Path train = dir.resolve("options/train.h5");
        ok("extract", "-m", model.toString(), "-d", data.toString(), "-l", "conv2", "-o", train.toString());
        Run lbfgs = ok("train-head", "-m", model.toString(), "--train", train.toString(), "--c", "1", "--threads", "1",
                "-o", dir.resolve("options/lbfgs.zip").toString());
        assertTrue(lbfgs.out().contains("solver=L-BFGS") && lbfgs.out().contains("multiClass=binary")
                && lbfgs.out().contains("standardized=true"), lbfgs.out());
        Run liblinear = ok("train-head", "-m", model.toString(), "--train", train.toString(), "--c", "1", "--solver", "LIBLINEAR",
                "--multi-class", "OVR", "--no-standardize", "-o", dir.resolve("options/liblinear.zip").toString());
        assertTrue(liblinear.out().contains("solver=liblinear L2R_LR") && liblinear.out().contains("standardized=false"), liblinear.out());
        Run refused = run("train-head", "-m", model.toString(), "--train", train.toString(), "--head", "svm", "--solver", "LBFGS",
                "-o", dir.resolve("options/svm.zip").toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("The linear SVM is trained by liblinear"), refused.err());
    }

    @Test
    void trainHeadMlpFromDisk() {
        Path work = dir.resolve("mlp");
        ok("extract", "-m", model.toString(), "-d", data.toString(), "-l", "conv2", "-o", work.resolve("train.h5").toString());
        Run r = ok("train-head", "--head", "mlp", "--hidden", "8", "--epochs", "2", "-m", model.toString(),
                "--train", work.resolve("train.h5").toString(), "-o", work.resolve("mlp.zip").toString());
        assertTrue(r.out().contains("MlpHead"), r.out());
        assertTrue(r.err().contains("epoch 2"), r.err());
        ok("predict", "-m", work.resolve("mlp.zip").toString(), data.resolve("test/blue/0.png").toString());
    }

    @Test
    void fineTuneSavesAPredictor() {
        Path out = dir.resolve("ft/ft.zip");
        Run r = ok("fine-tune", "-m", model.toString(), "-d", data.toString(), "--cut-layer", "conv2", "--dense", "4",
                "--epochs", "1", "-b", "4", "--validation-split", "test", "-o", out.toString());
        assertTrue(r.out().contains("phase 1 epoch 1"), r.out());
        assertFalse(r.err().contains("memory check off"), r.err());
        Run unchecked = ok("fine-tune", "-m", model.toString(), "-d", data.toString(), "--cut-layer", "conv2", "--dense", "4",
                "--epochs", "1", "-b", "4", "--validation-split", "test", "--no-memory-check", "-o", dir.resolve("ft/unchecked.zip").toString());
        assertTrue(unchecked.err().contains("memory check off"), unchecked.err());
        Run p = ok("predict", "-m", out.toString(), data.resolve("test/red/1.png").toString());
        assertTrue(p.out().contains("1.png"), p.out());
    }

    @Test
    void inspectListsTheLayersOfAModel() {
        Run r = ok("inspect", model.toString());
        assertTrue(r.out().contains("Model tiny-convnet"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("conv1") && l.contains("ConvolutionLayer") && l.contains("[8, 7, 7]")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("out") && l.contains("OutputLayer") && l.contains("[2]")), r.out());
    }

    @Test
    void errorsAreOneLineWithExitCodeOneAndTheTraceOnlyWithDebug() {
        Path missing = dir.resolve("missing.zip");
        Run r = run("predict", "-m", missing.toString(), data.resolve("test").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("predict: ") && r.err().contains(missing.toString()), r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        Run debug = run("--debug", "predict", "-m", missing.toString(), data.resolve("test").toString());
        assertEquals(1, debug.code());
        assertTrue(debug.err().contains("\tat dev.transferkit"), debug.err());

        Run badModel = run("classify", "-m", "no-such-network", data.resolve("test").toString());
        assertEquals(1, badModel.code());
        assertTrue(badModel.err().contains("'no-such-network' is neither a built-in network"), badModel.err());

        Run noImages = run("classify", "-m", model.toString(), dir.resolve("nowhere").toString());
        assertEquals(1, noImages.code());
        assertTrue(noImages.err().contains(dir.resolve("nowhere") + " does not exist"), noImages.err());
    }

    @Test
    void predictExitsWithOneWhenAFileCannotBeDecoded() throws IOException {
        Path predictor = predictor("broken-input");
        Path broken = Files.writeString(dir.resolve("broken.png"), "not a png");
        Run r = run("predict", "-m", predictor.toString(), "--csv", broken.toString(), data.resolve("test/red/0.png").toString());
        assertEquals(1, r.code());
        List<String> rows = r.out().strip().lines().toList();
        assertTrue(rows.get(1).startsWith(broken + ",,,") && rows.get(1).contains("broken.png"), rows.get(1));
        assertTrue(rows.get(2).contains(",red,") || rows.get(2).contains(",blue,"), rows.get(2));
        assertTrue(r.err().contains("1 of 2 files could not be classified"), r.err());
    }

    @Test
    void wrongCommandLinesExitWithTwoAndHelpWorksEverywhere() {
        Run unknown = run("classify", "--no-such-option", "x.png");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("Unknown option: '--no-such-option'"), unknown.err());
        Run missingRequired = run("extract", "-d", data.toString());
        assertEquals(2, missingRequired.code());
        assertTrue(missingRequired.err().contains("--output"), missingRequired.err());
        for (String sub : List.of("classify", "extract", "probe", "train-head", "fine-tune", "predict", "evaluate", "inspect")) {
            Run help = run(sub, "--help");
            assertEquals(0, help.code(), sub);
            assertTrue(help.out().startsWith("Usage: transferkit " + sub), help.out());
        }
        Run top = ok("--help");
        assertTrue(top.out().contains("train-head") && top.out().contains("fine-tune"), top.out());
        assertTrue(ok("--version").out().startsWith("transferkit "));
    }
}
