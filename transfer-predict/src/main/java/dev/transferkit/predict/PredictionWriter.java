package dev.transferkit.predict;

import dev.transferkit.core.MissingSettingException;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Classifies image files with a saved {@link TransferModel} and writes one line per file, as aligned text or CSV.
 * A file that cannot be read or decoded gets a line with the reason and does not stop the others.
 *
 * <p>Text: {@code dog.jpg  food  0.9870} (with {@code -k} &gt; 1 the next classes follow). CSV: the header
 * {@code file,label,score,...,error} and one row per file; the score is a probability, or an SVM margin for
 * linear-SVM heads (the header then says {@code margin}).
 */
public final class PredictionWriter {
    /** The output format. */
    public enum Format {
        /** Aligned columns for reading. */
        TEXT,
        /** Comma-separated values with a header row (RFC 4180 quoting). */
        CSV
    }

    private final TransferModel model;
    private final Format format;
    private final int topK;

    private PredictionWriter(Builder b) {
        this.model = b.model;
        this.format = b.format;
        this.topK = b.topK;
    }

    /** @return a builder; {@code setModel} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Classifies the files in order and writes a line for each.
     *
     * @param images the image files
     * @param out    where the lines go
     * @return how many files were classified and how many failed
     */
    public Summary write(List<Path> images, PrintStream out) {
        int width = images.stream().mapToInt(p -> p.toString().length()).max().orElse(4);
        String score = model.head() == null || model.head().probabilistic() ? "score" : "margin";
        if (format == Format.CSV) {
            List<String> header = new ArrayList<>(List.of("file"));
            for (int i = 1; i <= topK; i++) {
                header.add(topK == 1 ? "label" : "label_" + i);
                header.add(topK == 1 ? score : score + "_" + i);
            }
            header.add("error");
            out.println(String.join(",", header));
        }
        int ok = 0;
        int failed = 0;
        for (Path image : images) {
            Classification c;
            try {
                c = model.predict(image);
            } catch (TransferKitException e) {
                failed++;
                out.println(format == Format.CSV ? csv(image.toString()) + ",".repeat(2 * topK) + "," + csv(e.getMessage())
                        : String.format(Locale.ROOT, "%-" + width + "s  error: %s", image, e.getMessage()));
                continue;
            }
            ok++;
            out.println(line(image, c, width));
        }
        return new Summary(ok, failed);
    }

    private String line(Path image, Classification c, int width) {
        StringBuilder sb = new StringBuilder();
        List<Prediction> ranked = c.ranked();
        if (format == Format.CSV) {
            sb.append(csv(image.toString()));
            for (int i = 0; i < topK; i++) {
                if (i < ranked.size()) {
                    sb.append(',').append(csv(ranked.get(i).label())).append(String.format(Locale.ROOT, ",%.6f", ranked.get(i).probability()));
                } else {
                    sb.append(",,");
                }
            }
            return sb.append(',').toString();
        }
        sb.append(String.format(Locale.ROOT, "%-" + width + "s", image));
        for (int i = 0; i < Math.min(topK, ranked.size()); i++) {
            sb.append(String.format(Locale.ROOT, "  %s %.4f", ranked.get(i).label(), ranked.get(i).probability()));
        }
        return sb.toString();
    }

    /** Quotes a CSV field when it holds a comma, quote, or line break. */
    static String csv(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return "PredictionWriter(format=" + format + ", topK=" + topK + ", model=" + model + ")";
    }

    /**
     * What a {@link #write} call did.
     *
     * @param classified files classified
     * @param failed     files that could not be read or decoded
     */
    public record Summary(int classified, int failed) {
    }

    /** Builder for {@link PredictionWriter}. */
    public static final class Builder {
        private TransferModel model;
        private Format format = Format.TEXT;
        private int topK = 1;

        private Builder() {
        }

        /** @param model the predictor @return this builder */
        public Builder setModel(TransferModel model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** @param format text (default) or CSV @return this builder */
        public Builder optFormat(Format format) {
            this.format = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * @param k how many of the best classes to write per file, at least 1; default 1
         * @return this builder
         * @throws IllegalArgumentException when {@code k} is less than 1
         */
        public Builder optTopK(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("The number of classes to show per image must be at least 1, but was " + k + ".");
            }
            this.topK = k;
            return this;
        }

        /** @return the writer @throws MissingSettingException when no model was set */
        public PredictionWriter build() {
            if (model == null) {
                throw new MissingSettingException("A PredictionWriter needs a predictor: call setModel.");
            }
            return new PredictionWriter(this);
        }
    }
}
