package dev.transferkit.cli;

import dev.transferkit.extract.ExtractionSettings;
import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.probe.LayerProbe;
import dev.transferkit.probe.ProbeResult;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.extract.Pooling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code transferkit extract}: pooled activations of one layer for one split of an image folder, into an HDF5 store. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = {"Extract pooled activations of a layer for one split of a dataset into an HDF5 feature store.",
                "The dataset is laid out as DATASET/<split>/<class>/<image>. Rerunning resumes an interrupted store."})
final class ExtractCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    DataOptions dataOptions;

    @Option(names = {"-l", "--layer"}, description = "The feature layer, or 'auto' to choose among the model's feature"
            + " layers by cross-validation on the train split (see 'transferkit probe'). Default: the model's recommended one.")
    String layer;

    @Option(names = {"-p", "--pooling"}, defaultValue = "AVG",
            description = "How activations become a vector: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    Pooling pooling;

    @Option(names = "--overwrite", description = "Replace an existing store instead of resuming it.")
    boolean overwrite;

    @Option(names = "--fail-fast", description = "Stop at the first image that cannot be decoded instead of recording it.")
    boolean failFast;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "STORE.h5", description = "The feature store to write.")
    Path output;

    @Override
    public Integer call() {
        ImageFolder folder = dataOptions.folder();
        String split = dataOptions.split;
        ExtractionSettings.Builder b = dataOptions.extraction(new ConsoleProgressBar(split, main.err)).optPooling(pooling)
                .optOverwrite(overwrite).optFailFast(failFast);
        if (LayerProbe.AUTO.equalsIgnoreCase(String.valueOf(layer))) {
            // Chosen on the training split, whichever split is extracted, so that a test split never picks its own layer.
            Path dir = output.toAbsolutePath().getParent().resolve("probe-train");
            ProbeResult probe = LayerProbe.builder().setExtraction(b.build().toBuilder()
                    .optListener(new ConsoleProgressBar("probe", main.err)).build()).build().probe(folder, "train", dir);
            main.out.print(probe.table());
            b.optLayer(probe.choice().layer());
        } else if (layer != null) {
            b.optLayer(layer);
        }
        Main.onInterrupt("Interrupted: " + output + " keeps the rows written so far; run the same command again to "
                + "resume from there.");
        try (FeatureStore store = FeatureExtractor.of(b.build()).extract(folder, split, output)) {
            main.out.println("Wrote " + store.path() + ": " + store.rows() + " rows of " + store.dim() + " features ("
                    + store.spec().model() + "/" + store.spec().layer() + "/" + store.spec().pooling() + "), classes "
                    + store.labelNames() + ", " + store.failures().size() + " unreadable images.");
        }
        return 0;
    }
}
