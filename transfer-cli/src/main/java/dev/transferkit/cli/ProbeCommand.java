package dev.transferkit.cli;

import dev.transferkit.image.ImageFolder;
import dev.transferkit.probe.LayerProbe;
import dev.transferkit.probe.ProbePlot;
import dev.transferkit.probe.ProbeResult;
import dev.transferkit.extract.Pooling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code transferkit probe}: which layer to cut at, by cross-validation on the training split. */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Extract several candidate layers in one pass and cross-validate a linear head on each.",
                "Prints a table of accuracy and balanced accuracy per layer and pooling, and the winner."})
final class ProbeCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    DataOptions dataOptions;

    @Option(names = {"-l", "--layers"}, split = ",", paramLabel = "LAYER",
            description = "Candidate layers, comma-separated. Default: the model's declared feature layers.")
    List<String> layers;

    @Option(names = "--blocks", description = "Also probe every block output of the network (where one residual block or"
            + " Inception module ends and the next begins).")
    boolean blocks;

    @Option(names = {"-p", "--pooling"}, split = ",", defaultValue = "AVG", paramLabel = "POOLING",
            description = "Poolings tried with every layer, comma-separated (${COMPLETION-CANDIDATES}). Default: ${DEFAULT-VALUE}.")
    List<Pooling> poolings;

    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds. Default: ${DEFAULT-VALUE}.")
    int folds;

    @Option(names = {"-w", "--work"}, paramLabel = "DIR",
            description = "Where the candidates' feature stores go (a rerun resumes them). Default: DATASET/../probe-SPLIT.")
    Path work;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw balanced accuracy against layer depth.")
    Path plot;

    @Override
    public Integer call() {
        ImageFolder folder = dataOptions.folder();
        String split = dataOptions.split;
        LayerProbe.Builder b = LayerProbe.builder()
                .setExtraction(dataOptions.extraction(new ConsoleProgressBar(split, main.err)).build())
                .optPoolings(poolings).optFolds(folds).optBlockOutputs(blocks);
        if (layers != null) {
            b.optLayers(layers);
        }
        Path dir = work != null ? work : dataOptions.data.toAbsolutePath().getParent().resolve("probe-" + split);
        Main.onInterrupt("Interrupted: the candidates' stores in " + dir + " keep the rows written so far; run the same"
                + " command again to resume from there.");
        ProbeResult result = b.build().probe(folder, split, dir);
        main.out.print(result.table());
        if (plot != null) {
            ProbePlot.write(result, plot);
            main.out.println("Wrote " + plot + ".");
        }
        return 0;
    }
}
