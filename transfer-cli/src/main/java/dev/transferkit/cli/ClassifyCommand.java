package dev.transferkit.cli;

import dev.transferkit.model.BaseModel;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code transferkit classify}: a pretrained network's own top-k classes for images. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Classify images with a pretrained network's own head and print the top-k classes.")
final class ClassifyCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-k", "--top"}, defaultValue = "3", description = "How many classes to print per image. Default: ${DEFAULT-VALUE}.")
    int k;

    @Mixin
    ImageArguments imageArguments;

    @Override
    public Integer call() {
        if (k < 1) {
            throw new IllegalArgumentException("--top must be at least 1, but was " + k + ".");
        }
        List<Path> images = imageArguments.images();
        BaseModel base = modelOptions.source().load();
        if (base.labels().isEmpty()) {
            throw new IllegalArgumentException("The model " + base.name() + " has no class names, so it cannot classify;"
                    + " use it for feature extraction (transferkit extract) or fine-tuning instead.");
        }
        int width = images.stream().mapToInt(p -> p.toString().length()).max().orElse(4);
        for (Path image : images) {
            Classification top = base.classify(image, k);
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", image));
            for (Prediction p : top.ranked()) {
                sb.append(String.format(Locale.ROOT, "  %s %.4f", p.label(), p.probability()));
            }
            main.out.println(sb);
        }
        return 0;
    }
}
