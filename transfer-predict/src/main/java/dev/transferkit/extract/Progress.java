package dev.transferkit.extract;

import java.time.Duration;
import java.util.Locale;

/**
 * How far a long job has come.
 *
 * @param done           items finished (written or failed), including those done by an earlier, resumed run
 * @param total          items in the whole job
 * @param failed         items that could not be processed
 * @param itemsPerSecond rate of this run so far
 * @param eta            estimated time left, or {@link Duration#ZERO} when unknown or done
 */
public record Progress(long done, long total, long failed, double itemsPerSecond, Duration eta) {
    /** @return the fraction done, 0..1 */
    public double fraction() {
        return total == 0 ? 1.0 : (double) done / total;
    }

    @Override
    public String toString() {
        long s = eta.getSeconds();
        return String.format(Locale.ROOT, "%d/%d images (%.1f%%), %d failed, %.1f images/s, ETA %d:%02d:%02d",
                done, total, 100 * fraction(), failed, itemsPerSecond, s / 3600, (s / 60) % 60, s % 60);
    }
}
