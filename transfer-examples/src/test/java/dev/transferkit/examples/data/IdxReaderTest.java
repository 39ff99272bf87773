package dev.transferkit.examples.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    private static final List<String> CLASSES = List.of("a", "b", "c");

    @TempDir
    Path tmp;

    private static void assertNames(Exception e, Path file, String problem) {
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void readsPlainAndGzipFiles() throws IOException {
        for (String name : List.of("images-idx3-ubyte", "images-idx3-ubyte.gz")) {
            Path file = IdxFiles.images(tmp.resolve(name), 3, 2, 4);
            try (IdxReader r = IdxReader.open(file)) {
                assertArrayEquals(new int[]{3, 2, 4}, r.dimensions());
                assertEquals(3, r.count());
                assertEquals(8, r.itemSize());
                for (int i = 0; i < 3; i++) {
                    assertTrue(r.hasNext());
                    byte[] item = r.next();
                    for (int p = 0; p < 8; p++) {
                        assertEquals(IdxFiles.pixel(i, p % 4, p / 4, 4), item[p] & 0xff, name + " item " + i);
                    }
                }
                assertFalse(r.hasNext());
                assertEquals(3, r.itemsRead());
                assertThrows(NoSuchElementException.class, r::next);
            }
        }
    }

    @Test
    void wrongMagicNumber() throws IOException {
        Path file = IdxFiles.write(tmp.resolve("photo.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 1});
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.open(file));
        assertNames(e, file, "does not start with an IDX magic number");
        assertTrue(e.getMessage().contains("0x89504e47"), e.getMessage());
    }

    @Test
    void unsupportedTypeAndBadDimensions() throws IOException {
        Path floats = IdxFiles.write(tmp.resolve("floats.idx"), IdxFiles.idx(0x0d, new int[]{1}, new byte[4]));
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(floats)), floats, "0x0d (32-bit float)");

        Path negative = IdxFiles.write(tmp.resolve("neg.idx"), IdxFiles.idx(0x08, new int[]{2, -3}, new byte[0]));
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(negative)), negative,
                "declares dimension 1 as -3");

        Path rank0 = IdxFiles.write(tmp.resolve("rank0.idx"), new byte[]{0, 0, 8, 0});
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(rank0)), rank0, "declares 0 dimensions");

        Path huge = IdxFiles.write(tmp.resolve("huge.idx"), IdxFiles.idx(0x08, new int[]{1, 100000, 100000}, new byte[0]));
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(huge)), huge, "too large");
    }

    @Test
    void truncatedFiles() throws IOException {
        byte[] whole = IdxFiles.idx(0x08, new int[]{4, 2, 2}, new byte[16]);
        for (String name : List.of("cut.idx", "cut.idx.gz")) {
            Path file = IdxFiles.write(tmp.resolve(name), Arrays.copyOf(whole, whole.length - 5));
            try (IdxReader r = IdxReader.open(file)) {
                r.next();
                r.next();
                IdxFormatException e = assertThrows(IdxFormatException.class, r::next);
                assertNames(e, file, "is truncated");
                assertTrue(e.getMessage().contains("ends in item 2"), e.getMessage());
            }
        }
        Path header = IdxFiles.write(tmp.resolve("header.idx"), Arrays.copyOf(whole, 9));
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(header)), header,
                "header ends before dimension 1");
        Path tiny = IdxFiles.write(tmp.resolve("tiny.idx"), new byte[]{0, 0});
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(tiny)), tiny, "too short");
        // a gzip stream cut inside its compressed data
        Path gz = IdxFiles.images(tmp.resolve("whole.gz"), 50, 8, 8);
        byte[] compressed = Files.readAllBytes(gz);
        Path cutGz = IdxFiles.write(tmp.resolve("cut-raw.bin"), Arrays.copyOf(compressed, compressed.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> {
            try (IdxReader r = IdxReader.open(cutGz)) {
                while (r.hasNext()) {
                    r.next();
                }
            }
        });
        assertNames(e, cutGz, "is truncated");
    }

    @Test
    void trailingDataIsCorruption() throws IOException {
        byte[] whole = IdxFiles.idx(0x08, new int[]{2}, new byte[]{1, 2, 7});
        Path file = IdxFiles.write(tmp.resolve("long.idx"), whole);
        try (IdxReader r = IdxReader.open(file)) {
            r.next();
            assertNames(assertThrows(IdxFormatException.class, r::next), file, "goes on after its last item");
        }
    }

    @Test
    void missingFile() {
        Path file = tmp.resolve("absent.gz");
        assertNames(assertThrows(IdxFormatException.class, () -> IdxReader.open(file)), file, "does not exist");
    }

    @Test
    void imageIteratorPairsImagesWithLabels() throws IOException {
        Path images = IdxFiles.images(tmp.resolve("img.gz"), 4, 3, 2);
        Path labels = IdxFiles.labels(tmp.resolve("lab.gz"), 2, 0, 1, 2);
        try (IdxImageIterator it = new IdxImageIterator(images, labels, CLASSES, 0)) {
            assertEquals(4, it.size());
            assertEquals(3, it.height());
            assertEquals(2, it.width());
            int[] expected = {2, 0, 1, 2};
            for (int i = 0; i < 4; i++) {
                LabeledImage li = it.next();
                assertEquals(expected[i], li.label());
                assertEquals(CLASSES.get(expected[i]), li.className());
                assertEquals(2, li.image().getWidth());
                assertEquals(3, li.image().getHeight());
                assertEquals(IdxFiles.pixel(i, 1, 2, 2), li.image().getRaster().getSample(1, 2, 0));
            }
            assertFalse(it.hasNext());
            assertThrows(NoSuchElementException.class, it::next);
        }
        try (IdxImageIterator limited = new IdxImageIterator(images, labels, CLASSES, 2)) {
            assertEquals(2, limited.size());
            limited.next();
            limited.next();
            assertFalse(limited.hasNext());
        }
    }

    @Test
    void imageIteratorRejectsMismatchedPairs() throws IOException {
        Path images = IdxFiles.images(tmp.resolve("img.gz"), 4, 3, 2);
        Path three = IdxFiles.labels(tmp.resolve("three.gz"), 0, 1, 2);
        IdxFormatException count = assertThrows(IdxFormatException.class,
                () -> new IdxImageIterator(images, three, CLASSES, 0));
        assertNames(count, three, "holds 3 labels but the image file " + images + " holds 4 images");

        Path labels = IdxFiles.labels(tmp.resolve("labels.gz"), 0, 1, 3, 0);
        try (IdxImageIterator it = new IdxImageIterator(images, labels, CLASSES, 0)) {
            it.next();
            it.next();
            IdxFormatException range = assertThrows(IdxFormatException.class, it::next);
            assertNames(range, labels, "gives item 2 the label 3, but there are only 3 classes");
            assertFalse(it.hasNext(), "a failed iterator is closed");
        }
        IdxFormatException swapped = assertThrows(IdxFormatException.class,
                () -> new IdxImageIterator(labels, images, CLASSES, 0));
        assertNames(swapped, labels, "images need three: [count, height, width]");
        IdxFormatException rank = assertThrows(IdxFormatException.class,
                () -> new IdxImageIterator(images, images, CLASSES, 0));
        assertNames(rank, images, "labels need one: [count]");
    }
}
