package dev.transferkit.eval;

import dev.transferkit.core.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Renders a confusion matrix as a PNG heat map with XChart. */
final class ConfusionMatrixPlot {
    private ConfusionMatrixPlot() {
    }

    static void savePng(ConfusionMatrix m, Path file) throws IOException {
        int k = m.labels().size();
        int size = Math.min(1600, 240 + 60 * k);
        HeatMapChart chart = new HeatMapChartBuilder().width(size).height(size)
                .title("Confusion matrix (rows: true, columns: predicted)").xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setPlotContentSize(1);
        chart.getStyler().setRangeColors(new Color[]{new Color(247, 251, 255), new Color(107, 174, 214), new Color(8, 48, 107)});
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                // XChart's y axis grows upwards: put the first true class at the top, as printed reports do.
                cells.add(new Number[]{p, k - 1 - t, m.count(t, p)});
            }
        }
        List<String> yLabels = new ArrayList<>(m.labels());
        java.util.Collections.reverse(yLabels);
        chart.addSeries("counts", m.labels(), yLabels, cells);
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
