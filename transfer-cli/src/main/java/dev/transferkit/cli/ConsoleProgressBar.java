package dev.transferkit.cli;

import dev.transferkit.extract.Progress;
import dev.transferkit.extract.ProgressListener;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line console progress bar: count, rate and ETA, redrawn at most twice a second and once at the end. */
public final class ConsoleProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final String title;
    private final PrintStream out;
    private long lastDraw;

    /**
     * @param title what is being done, e.g. {@code "train features"}
     * @param out   where to draw
     */
    public ConsoleProgressBar(String title, PrintStream out) {
        this.title = title;
        this.out = out;
    }

    @Override
    public void onProgress(Progress p) {
        long now = System.nanoTime();
        boolean finished = p.done() >= p.total();
        if (!finished && now - lastDraw < 500_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) Math.round(WIDTH * p.fraction());
        out.print(String.format(Locale.ROOT, "\r%-16s [%s%s] %s", title, "#".repeat(filled), " ".repeat(WIDTH - filled), p));
        if (finished) {
            out.println();
        }
        out.flush();
    }
}
