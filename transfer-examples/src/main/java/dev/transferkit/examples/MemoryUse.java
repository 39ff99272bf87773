package dev.transferkit.examples;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory a JVM process has used so far: the peak Java heap in use, the heap limit ({@code -Xmx}) and the peak
 * resident set size of the whole process (heap, ND4J's off-heap buffers, native libraries), which on Linux is
 * {@code VmHWM} in {@code /proc/self/status}.
 *
 * @param peakHeapBytes the sum of the peak usage of every heap memory pool since the JVM started (an upper bound of
 *                      the peak heap in use, since the pools need not peak at the same moment)
 * @param maxHeapBytes  the heap limit
 * @param peakRssBytes  the peak resident set size, or -1 where {@code /proc/self/status} is unavailable
 */
public record MemoryUse(long peakHeapBytes, long maxHeapBytes, long peakRssBytes) {
    /**
     * Reads the current peaks.
     *
     * @return the memory used so far by this process
     */
    public static MemoryUse sinceStart() {
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                heap += pool.getPeakUsage().getUsed();
            }
        }
        return new MemoryUse(heap, Runtime.getRuntime().maxMemory(), peakRss(Path.of("/proc/self/status")));
    }

    /**
     * Reads {@code VmHWM} from a {@code /proc/<pid>/status} file.
     *
     * @param status the status file
     * @return the peak resident set size in bytes, or -1 when the file or the line is missing
     */
    static long peakRss(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // the kernel writes kB
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** @return the peaks in MB, e.g. {@code peak heap 41.2 MB of 256 MB (-Xmx), peak RSS 402.7 MB} */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "peak heap %.1f MB of %.0f MB (-Xmx), peak RSS %s", peakHeapBytes / 1e6,
                maxHeapBytes / 1e6, peakRssBytes < 0 ? "unknown (no /proc/self/status)"
                        : String.format(Locale.ROOT, "%.1f MB", peakRssBytes / 1e6));
    }
}
