package dev.transferkit.cli;

import dev.transferkit.extract.FeatureExtractor;
import dev.transferkit.image.ImageFolder;
import dev.transferkit.model.BaseModel;
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
    ModelOptions modelOptions;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "DATASET", description = "The dataset folder.")
    Path data;

    @Option(names = {"-s", "--split"}, defaultValue = "train", description = "The split to extract. Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = {"-l", "--layer"}, description = "The feature layer, or 'auto' to choose among the model's feature"
            + " layers by cross-validation on the train split (see 'transferkit probe'). Default: the model's recommended one.")
    String layer;

    @Option(names = {"-p", "--pooling"}, defaultValue = "AVG",
            description = "How activations become a vector: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    Pooling pooling;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "32", description = "Images per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--overwrite", description = "Replace an existing store instead of resuming it.")
    boolean overwrite;

    @Option(names = "--fail-fast", description = "Stop at the first image that cannot be decoded instead of recording it.")
    boolean failFast;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "STORE.h5", description = "The feature store to write.")
    Path output;

    @Override
    public Integer call() {
        ImageFolder folder = ImageFolder.open(data);
        BaseModel base = modelOptions.source().load();
        FeatureExtractor.Builder b = FeatureExtractor.builder().setModel(base).optPooling(pooling).optBatchSize(batchSize)
                .optOverwrite(overwrite).optFailFast(failFast).optListener(new ConsoleProgressBar(split, main.err));
        if (LayerProbe.AUTO.equalsIgnoreCase(String.valueOf(layer))) {
            // Chosen on the training split, whichever split is extracted, so that a test split never picks its own layer.
            Path dir = output.toAbsolutePath().getParent().resolve("probe-train");
            ProbeResult probe = LayerProbe.builder().setModel(base).optPoolings(java.util.List.of(pooling)).optBatchSize(batchSize)
                    .optListener(new ConsoleProgressBar("probe", main.err)).build().probe(folder, "train", dir);
            main.out.print(probe.table());
            b.optLayer(probe.choice().layer());
        } else if (layer != null) {
            b.optLayer(layer);
        }
        Main.onInterrupt("Interrupted: " + output + " keeps the rows written so far; run the same command again to "
                + "resume from there.");
        try (FeatureStore store = b.build().extract(folder, split, output)) {
            main.out.println("Wrote " + store.path() + ": " + store.rows() + " rows of " + store.dim() + " features ("
                    + store.spec().model() + "/" + store.spec().layer() + "/" + store.spec().pooling() + "), classes "
                    + store.labelNames() + ", " + store.failures().size() + " unreadable images.");
        }
        return 0;
    }
}
