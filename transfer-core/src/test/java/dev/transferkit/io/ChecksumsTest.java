package dev.transferkit.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.Adler32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumsTest {
    @TempDir
    Path dir;

    @Test
    void knownVectors() throws IOException {
        Path abc = Files.writeString(dir.resolve("abc.txt"), "abc");
        Path wiki = Files.writeString(dir.resolve("wiki.txt"), "Wikipedia");
        assertEquals(0x11E60398L, Checksums.adler32(wiki));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Checksums.sha256(abc));
        assertEquals("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", Checksums.sha512(abc));
        assertEquals("300286872", Checksums.compute(wiki, Checksums.Algorithm.ADLER32));
    }

    @Test
    void streamingMatchesInMemoryOverManyBuffers() throws Exception {
        byte[] data = new byte[3 * (1 << 20) + 12345];
        new Random(7).nextBytes(data);
        Path file = Files.write(dir.resolve("big.bin"), data);
        Adler32 adler = new Adler32();
        adler.update(data);
        assertEquals(adler.getValue(), Checksums.adler32(file));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)), Checksums.sha256(file));
    }

    @Test
    void checksumValueType() throws IOException {
        Path abc = Files.writeString(dir.resolve("abc.txt"), "abc", StandardCharsets.US_ASCII);
        Checksum sha = Checksum.sha256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
        assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha.toString());
        assertTrue(sha.matches(abc));
        assertEquals(sha, Checksum.parse(sha.toString()));
        Checksum adler = Checksum.parse("adler32:12");
        assertEquals(Checksum.adler32(12), adler);
        assertFalse(adler.matches(abc));
        assertEquals(Long.toString(Checksums.adler32(abc)), adler.computeFor(abc));
    }

    @Test
    void invalidChecksumsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Checksum.adler32(-1));
        assertThrows(IllegalArgumentException.class, () -> Checksum.adler32(1L << 32));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checksum.sha256("abc"));
        assertTrue(e.getMessage().contains("'abc'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Checksum.sha512("zz".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("md5:d41d8cd98f00b204e9800998ecf8427e"));
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("adler32:abc"));
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("no-colon"));
    }

    @Test
    void missingFileNamesTheFile() {
        Path missing = dir.resolve("missing.bin");
        dev.transferkit.core.TransferKitIOException e = assertThrows(dev.transferkit.core.TransferKitIOException.class, () -> Checksums.sha256(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
