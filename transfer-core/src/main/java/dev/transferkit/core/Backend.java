package dev.transferkit.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Picks the fastest ND4J CPU binary the machine can run, before ND4J loads.
 *
 * <p>ND4J ships a generic x86-64 binary and oneDNN builds for AVX2 and AVX-512 as separate jars; with several on the
 * class path it loads the generic one unless the system property {@value #EXTENSION_PROPERTY} names another. Measured on
 * this project's 2-core build machine, a 1024x1024 float matrix product took 54 ms with the generic binary and 24 ms
 * with the AVX-512 one. {@link #configure()} reads the CPU's flags and sets the property to the best build whose jar is
 * present. It runs automatically when TransferKit's model and image classes load; an application that uses ND4J before
 * TransferKit should call it first. A value the user already set is never changed.
 */
public final class Backend {
    /** The javacpp system property that selects a native build variant. */
    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);
    private static final String BINDINGS = "org/nd4j/linalg/cpu/nativecpu/bindings/";
    private static volatile String chosen;

    private Backend() {
    }

    /**
     * Chooses the native build once; later calls return the first answer.
     *
     * @return the extension in effect, e.g. {@code "-onednn-avx512"}, or {@code ""} for the generic build
     */
    public static synchronized String configure() {
        if (chosen != null) {
            return chosen;
        }
        String preset = System.getProperty(EXTENSION_PROPERTY);
        if (preset != null) {
            chosen = preset;
            return chosen;
        }
        String platform = platform();
        String ext = platform == null ? "" : choose(cpuFlags(), platform, Backend::hasBinary);
        if (!ext.isEmpty()) {
            System.setProperty(EXTENSION_PROPERTY, ext);
            LOG.info("Using ND4J's {}{} native build for this CPU.", platform, ext);
        }
        chosen = ext;
        return chosen;
    }

    /**
     * Picks the best build for a set of CPU flags among those present.
     *
     * @param flags    lower-case CPU flags, as in {@code /proc/cpuinfo}
     * @param platform the javacpp platform, e.g. {@code linux-x86_64}
     * @param present  tells whether the binary for {@code platform + extension} is on the class path
     * @return the extension, or {@code ""} for the generic build
     */
    static String choose(Set<String> flags, String platform, java.util.function.Predicate<String> present) {
        if (flags.containsAll(List.of("avx512f", "avx512bw", "avx512dq", "avx512vl")) && present.test(platform + "-onednn-avx512")) {
            return "-onednn-avx512";
        }
        if (flags.containsAll(List.of("avx2", "fma")) && present.test(platform + "-onednn-avx2")) {
            return "-onednn-avx2";
        }
        return "";
    }

    private static boolean hasBinary(String platformWithExtension) {
        ClassLoader cl = Backend.class.getClassLoader();
        return cl.getResource(BINDINGS + platformWithExtension + "/libjnind4jcpu.so") != null;
    }

    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return "linux-x86_64";
        }
        return null; // AVX builds exist for linux-x86_64 only in this project's build
    }

    private static Set<String> cpuFlags() {
        Set<String> flags = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                        flags.add(f.toLowerCase(Locale.ROOT));
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not read /proc/cpuinfo; using ND4J's generic binary.", e);
        }
        return flags;
    }
}
