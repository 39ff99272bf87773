package dev.transferkit.core;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackendTest {
    private static final String P = "linux-x86_64";

    @Test
    void picksAvx512WhenTheCpuAndTheJarHaveIt() {
        Set<String> flags = Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl");
        assertEquals("-onednn-avx512", Backend.choose(flags, P, b -> true));
    }

    @Test
    void fallsBackToAvx2WhenTheAvx512JarIsMissing() {
        Set<String> flags = Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl");
        assertEquals("-onednn-avx2", Backend.choose(flags, P, b -> b.endsWith("avx2")));
    }

    @Test
    void usesAvx2OnACpuWithoutAvx512() {
        assertEquals("-onednn-avx2", Backend.choose(Set.of("avx2", "fma", "sse4_2"), P, b -> true));
    }

    @Test
    void usesTheGenericBuildOnOldCpusOrWithoutJars() {
        assertEquals("", Backend.choose(Set.of("sse4_2", "avx"), P, b -> true));
        assertEquals("", Backend.choose(Set.of("avx2", "fma"), P, b -> false));
    }

    @Test
    void configureIsStableAndMatchesTheProperty() {
        String first = Backend.configure();
        assertEquals(first, Backend.configure());
        if (!first.isEmpty()) {
            assertEquals(first, System.getProperty(Backend.EXTENSION_PROPERTY));
        }
    }
}
