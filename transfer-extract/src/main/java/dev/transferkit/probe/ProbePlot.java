package dev.transferkit.probe;

import dev.transferkit.core.AtomicFiles;
import dev.transferkit.core.TransferKitIOException;
import dev.transferkit.extract.Pooling;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Draws a probe's balanced accuracy against layer depth, one line per pooling, with fold spread as error bars. */
public final class ProbePlot {
    private static final int W = 900;
    private static final int H = 520;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 40;
    private static final int BOTTOM = 150;
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
            new Color(148, 103, 189)};

    private ProbePlot() {
    }

    /**
     * Writes the plot as a PNG; the file appears complete or not at all.
     *
     * @param result the probe's result
     * @param file   the PNG to write
     * @throws TransferKitIOException when the file cannot be written
     */
    public static void write(ProbeResult result, Path file) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            draw(g, result);
        } finally {
            g.dispose();
        }
        try {
            AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the probe plot " + file + ": " + e.getMessage(), e);
        }
    }

    private static void draw(Graphics2D g, ProbeResult result) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        List<ProbeRow> rows = result.rows();
        List<Integer> depths = rows.stream().map(ProbeRow::depth).distinct().sorted().toList();
        double lo = Math.max(0, rows.stream().mapToDouble(r -> r.balancedAccuracy() - r.balancedSpread()).min().orElse(0) - 0.02);
        double hi = Math.min(1, rows.stream().mapToDouble(r -> r.balancedAccuracy() + r.balancedSpread()).max().orElse(1) + 0.02);
        if (hi - lo < 0.05) {
            lo = Math.max(0, hi - 0.05);
        }
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("Cross-validated balanced accuracy by layer (" + result.folds() + " folds)", LEFT, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(LEFT, TOP, plotW, plotH);
        for (int i = 0; i <= 5; i++) {
            double v = lo + (hi - lo) * i / 5;
            int y = TOP + plotH - (int) Math.round(plotH * (v - lo) / (hi - lo));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(LEFT + 1, y, LEFT + plotW - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.3f", v), 20, y + 4);
        }
        for (int i = 0; i < depths.size(); i++) {
            int x = xOf(i, depths.size(), plotW);
            int depth = depths.get(i);
            String layer = rows.stream().filter(r -> r.depth() == depth).findFirst().orElseThrow().target().layer();
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(Math.toRadians(45), x, TOP + plotH + 12);
            rotated.drawString(layer.length() > 40 ? "…" + layer.substring(layer.length() - 39) : layer, x, TOP + plotH + 12);
            rotated.dispose();
        }
        int legend = 0;
        for (Pooling p : Pooling.values()) {
            List<ProbeRow> series = rows.stream().filter(r -> r.target().pooling() == p)
                    .sorted(Comparator.comparingInt(ProbeRow::depth)).toList();
            if (series.isEmpty()) {
                continue;
            }
            Color color = COLORS[legend % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (ProbeRow r : series) {
                int x = xOf(depths.indexOf(r.depth()), depths.size(), plotW);
                int y = yOf(r.balancedAccuracy(), lo, hi, plotH);
                g.drawLine(x, yOf(r.balancedAccuracy() - r.balancedSpread(), lo, hi, plotH), x,
                        yOf(r.balancedAccuracy() + r.balancedSpread(), lo, hi, plotH));
                g.fillOval(x - 4, y - 4, 8, 8);
                if (r == result.winner()) {
                    g.drawOval(x - 8, y - 8, 16, 16);
                }
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(p.name(), LEFT + plotW - 90, TOP + 18 + 16 * legend);
            legend++;
        }
    }

    private static int xOf(int index, int count, int plotW) {
        return LEFT + (count == 1 ? plotW / 2 : 30 + (plotW - 60) * index / (count - 1));
    }

    private static int yOf(double v, double lo, double hi, int plotH) {
        return TOP + plotH - (int) Math.round(plotH * (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo));
    }
}
