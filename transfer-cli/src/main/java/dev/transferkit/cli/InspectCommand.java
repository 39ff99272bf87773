package dev.transferkit.cli;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.Failure;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.StoreSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.ZipFile;

/** {@code transferkit inspect}: what is in a model (layers and shapes), a predictor, or a feature store. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Describe a model, a saved predictor or a feature store.",
                "Models: layers with output shapes and parameter counts. Stores: spec, rows, dimension, classes, unreadable images."})
final class InspectCommand implements Callable<Integer> {
    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final String PREDICTOR_ENTRY = "transferkit-predictor.json";

    @ParentCommand
    Main main;

    @Option(names = "--failures", defaultValue = "10", description = "How many unreadable images of a store to list. Default: ${DEFAULT-VALUE}.")
    int failures;

    @Option(names = "--layers", description = "For a predictor, also list the layers of its network.")
    boolean layers;

    @Parameters(paramLabel = "WHAT", description = "A store (.h5), a predictor or model zip, an ONNX file (.onnx), or a"
            + " built-in network name.")
    String what;

    @Mixin
    OnnxOptions onnx;

    @Override
    public Integer call() throws IOException {
        Path path = Path.of(what);
        PrintStream out = main.out;
        if (Files.isRegularFile(path) && startsWith(path, HDF5_SIGNATURE)) {
            store(path, out);
        } else if (Files.isRegularFile(path) && isPredictor(path)) {
            TransferModel p = TransferModel.load(path);
            out.println("Predictor " + path);
            out.println("  network:    " + p.baseModel().name() + " (" + p.baseModel().inputSpec() + ", " + p.baseModel().preprocessing().name() + ")");
            out.println("  features:   " + p.layer() + ", " + p.pooling());
            out.println("  head:       " + (p.head() == null ? "the network's own output (fine-tuned)" : p.head()));
            out.println("  labels:     " + p.labels());
            out.println("  provenance: " + p.provenance());
            if (layers) {
                layers(p.baseModel(), out);
            }
        } else {
            BaseModel model = onnx.source(what).load();
            out.println("Model " + model.name());
            out.println("  input:          " + model.inputSpec() + ", preprocessing " + model.preprocessing().name());
            out.println("  feature layers: " + model.featureLayers() + " (the first is the default)");
            out.println("  labels:         " + (model.labels().isEmpty() ? "none" : model.labels().size() + " " + abbreviate(model.labels())));
            out.println("  parameters:     " + String.format(Locale.ROOT, "%,d", model.graph().numParams()));
            out.println("  provenance:     " + model.provenance());
            layers(model, out);
        }
        return 0;
    }

    private void store(Path path, PrintStream out) {
        try (FeatureStore s = FeatureStore.openIncomplete(path)) {
            StoreSpec spec = s.spec();
            out.println("Feature store " + path);
            out.println("  complete:     " + s.isComplete() + " (" + s.rows() + " of " + s.expectedRows() + " expected rows)");
            out.println("  rows x dim:   " + s.rows() + " x " + s.dim() + String.format(Locale.ROOT, " (%.1f MB as floats, %.1f MB on disk)",
                    s.rows() * s.dim() * 4.0 / 1e6, size(path) / 1e6));
            out.println("  network:      " + spec.model() + " at " + spec.inputSpec() + ", preprocessing " + spec.preprocessing().name());
            out.println("  features:     " + spec.layer() + ", " + spec.pooling());
            out.println("  created:      " + s.created());
            long[] counts = new long[s.labelNames().size()];
            for (long start = 0; start < s.rows(); start += 65536) {
                for (int y : s.readLabels(start, (int) Math.min(65536, s.rows() - start))) {
                    counts[y]++;
                }
            }
            StringBuilder classes = new StringBuilder();
            for (int c = 0; c < counts.length; c++) {
                classes.append(c == 0 ? "" : ", ").append(s.labelNames().get(c)).append('=').append(counts[c]);
            }
            out.println("  classes:      " + classes);
            List<Failure> failed = s.failures();
            out.println("  unreadable:   " + failed.size() + " images");
            failed.stream().limit(failures).forEach(f -> out.println("    " + f.path() + ": " + f.reason()));
            if (failed.size() > failures) {
                out.println("    ... and " + (failed.size() - failures) + " more (--failures N lists more)");
            }
            out.println("  provenance:   " + s.provenance());
        }
    }

    /** Runs one blank image through the network and lists every vertex with its output shape. */
    private static void layers(BaseModel model, PrintStream out) {
        ComputationGraph g = model.graph();
        INDArray blank = Nd4j.zeros(DataType.FLOAT, model.inputSpec().batchShape(1));
        Map<String, INDArray> activations;
        synchronized (g) {
            activations = g.feedForward(new INDArray[]{blank}, false);
        }
        List<String> order = g.getConfiguration().getTopologicalOrderStr();
        int width = Math.max(5, order.stream().mapToInt(String::length).max().orElse(5));
        out.printf(Locale.ROOT, "%n  %-" + width + "s  %-28s %-20s %12s%n", "layer", "type", "output shape", "parameters");
        for (String name : order) {
            GraphVertex v = g.getVertex(name);
            String type = v.hasLayer() ? v.getLayer().conf().getLayer().getClass().getSimpleName() : v.getClass().getSimpleName();
            INDArray a = activations.get(name);
            String shape = a == null ? "" : Arrays.toString(Arrays.copyOfRange(a.shape(), 1, a.rank()));
            long params = v.hasLayer() ? v.getLayer().numParams() : 0;
            String mark = model.featureLayers().contains(name) ? " *" : "";
            out.printf(Locale.ROOT, "  %-" + width + "s  %-28s %-20s %,12d%s%n", name, type, shape, params, mark);
        }
        out.println("  (* = a recommended feature layer; shapes per image in " + model.inputSpec().format() + " order)");
    }

    private static String abbreviate(List<String> labels) {
        return labels.size() <= 10 ? labels.toString() : labels.subList(0, 10).toString().replace("]", ", ...]");
    }

    private static boolean startsWith(Path file, byte[] signature) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(signature.length), signature);
        } catch (IOException e) {
            throw new TransferKitException("Could not read " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean isPredictor(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return zip.getEntry(PREDICTOR_ENTRY) != null;
        } catch (IOException e) {
            return false; // not a zip: let the model loader say what is wrong with it
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
