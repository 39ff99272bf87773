package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitIOException;

import dev.transferkit.core.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Per-epoch scores of a fine-tuning run over both phases, writable as CSV and as a PNG chart. Immutable. */
public final class TrainingHistory {
    /** The header line of {@link #writeCsv(Path)}. */
    public static final String CSV_HEADER = "phase,epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds";

    private final List<EpochStats> epochs;

    /**
     * @param epochs the epochs in training order
     */
    public TrainingHistory(List<EpochStats> epochs) {
        this.epochs = List.copyOf(epochs);
    }

    /** @return the epochs in training order */
    public List<EpochStats> epochs() {
        return epochs;
    }

    /**
     * @param phase 1 or 2
     * @return the epochs of one phase
     */
    public List<EpochStats> phase(int phase) {
        return epochs.stream().filter(e -> e.phase() == phase).toList();
    }

    /**
     * Writes the history as CSV ({@link #CSV_HEADER}, then one line per epoch), atomically.
     *
     * @param file the target file
     * @throws TransferKitIOException naming the file when writing fails
     */
    public void writeCsv(Path file) {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (EpochStats e : epochs) {
            sb.append(e.phase()).append(',').append(e.epoch()).append(',').append(e.trainLoss()).append(',')
                    .append(e.trainAccuracy()).append(',').append(e.validationLoss()).append(',')
                    .append(e.validationAccuracy()).append(',').append(String.format(Locale.ROOT, "%.3f", e.seconds())).append('\n');
        }
        try {
            AtomicFiles.write(file, out -> out.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the training history to " + file + ".", e);
        }
    }

    /**
     * Reads a history written by {@link #writeCsv(Path)}.
     *
     * @param file the CSV file
     * @return the history
     * @throws TransferKitIOException naming the file when it cannot be read
     * @throws IllegalArgumentException when the file is not such a history
     */
    public static TrainingHistory readCsv(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TransferKitIOException("Could not read the training history " + file + ".", e);
        }
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IllegalArgumentException("The file " + file + " is not a training history: its first line must be '"
                    + CSV_HEADER + "'.");
        }
        List<EpochStats> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f.length != 7) {
                throw new IllegalArgumentException("Line " + (i + 1) + " of the training history " + file
                        + " has " + f.length + " fields instead of 7.");
            }
            out.add(new EpochStats(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6])));
        }
        return new TrainingHistory(out);
    }

    /**
     * Draws loss and accuracy (training and validation) over the epochs of both phases as a PNG line chart, atomically.
     *
     * @param file the target PNG file
     * @throws TransferKitIOException naming the file when writing fails
     */
    public void writePng(Path file) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Fine-tuning history")
                .xAxisTitle("epoch (both phases)").yAxisTitle("loss / accuracy").build();
        int n = epochs.size();
        if (n > 0) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = i + 1;
            }
            chart.addSeries("train loss", x, column(EpochStats::trainLoss));
            chart.addSeries("train accuracy", x, column(EpochStats::trainAccuracy));
            if (epochs.stream().noneMatch(e -> Double.isNaN(e.validationLoss()))) {
                chart.addSeries("validation loss", x, column(EpochStats::validationLoss));
                chart.addSeries("validation accuracy", x, column(EpochStats::validationAccuracy));
            }
        }
        try {
            AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the training chart to " + file + ".", e);
        }
    }

    private double[] column(java.util.function.ToDoubleFunction<EpochStats> f) {
        return epochs.stream().mapToDouble(f).toArray();
    }

    @Override
    public String toString() {
        return "TrainingHistory(" + phase(1).size() + " phase-1 epochs, " + phase(2).size() + " phase-2 epochs)";
    }
}
