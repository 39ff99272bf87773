package dev.transferkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmark ran on: the CPU model and the load average (the machine may be shared). */
final class Machine {
    private Machine() {
    }

    /** @return the CPU model name from /proc/cpuinfo, or "unknown" */
    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** @return the CPU's vector-instruction flags from /proc/cpuinfo (sse4_2, avx, avx2, fma, avx512*, amx*), or "unknown" */
    static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().map(l -> java.util.Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .filter(f -> f.equals("sse4_2") || f.startsWith("avx") || f.equals("fma") || f.startsWith("amx"))
                            .sorted().collect(java.util.stream.Collectors.joining(" "))).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** @return one line: CPU model, cores, vector flags */
    static String describe() {
        return "CPU: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores; flags: " + cpuFlags();
    }

    /**
     * Reads a memory figure of this process from /proc/self/status, e.g. {@code VmRSS} (resident now) or {@code VmHWM}
     * (peak resident).
     *
     * @param field the field name without the colon
     * @return its value in KiB, or -1 when absent
     * @throws IOException when /proc cannot be read
     */
    static long statusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** @return the 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown" */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
