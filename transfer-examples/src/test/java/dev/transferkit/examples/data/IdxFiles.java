package dev.transferkit.examples.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
public final class IdxFiles {
    private IdxFiles() {
    }

    /** @return the bytes of an IDX file: magic {@code 0 0 type rank}, the dimensions, the data */
    static byte[] idx(int type, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[]{0, 0, (byte) type, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        out.flush();
        return bytes.toByteArray();
    }

    /** Writes bytes to a file, gzip-compressed when its name ends with .gz. */
    static Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = file.toString().endsWith(".gz")
                ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(content);
        }
        return file;
    }

    /** Writes an unsigned-byte image file [n, h, w] whose image i has pixel (x, y) = (i * 31 + y * w + x) mod 256. */
    public static Path images(Path file, int n, int h, int w) throws IOException {
        byte[] data = new byte[n * h * w];
        for (int i = 0; i < data.length; i++) {
            int item = i / (h * w);
            data[i] = (byte) ((item * 31 + i % (h * w)) & 0xff);
        }
        return write(file, idx(IdxReader.UNSIGNED_BYTE, new int[]{n, h, w}, data));
    }

    /** @return the expected pixel of {@link #images}'s image i */
    static int pixel(int i, int x, int y, int w) {
        return (i * 31 + y * w + x) & 0xff;
    }

    /** Writes an unsigned-byte label file. */
    public static Path labels(Path file, int... labels) throws IOException {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            data[i] = (byte) labels[i];
        }
        return write(file, idx(IdxReader.UNSIGNED_BYTE, new int[]{labels.length}, data));
    }
}
