package dev.transferkit.examples.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Reads an IDX file of unsigned bytes item by item, the format of MNIST and Fashion-MNIST, plain or
 * gzip-compressed (recognised by its first bytes, not its name).
 *
 * <p>An IDX file starts with the magic number {@code 0x00 0x00 <type> <rank>}, followed by {@code rank} big-endian
 * 32-bit dimensions and the data in row-major order. The first dimension counts the items (images or labels); the
 * others give the shape of one item. This reader supports the unsigned-byte type {@code 0x08} only, checks the
 * header before returning, and reports a body that ends early or goes on after the last item as an
 * {@link IdxFormatException} naming the file.
 */
public final class IdxReader implements AutoCloseable {
    /** The IDX type code of unsigned bytes. */
    public static final int UNSIGNED_BYTE = 0x08;
    private static final int MAX_RANK = 8;

    private final Path file;
    private final DataInputStream in;
    private final int[] dimensions;
    private final int itemSize;
    private int itemsRead;
    private boolean closed;

    private IdxReader(Path file, DataInputStream in, int[] dimensions, int itemSize) {
        this.file = file;
        this.in = in;
        this.dimensions = dimensions;
        this.itemSize = itemSize;
    }

    /**
     * Opens an IDX file and reads its header.
     *
     * @param file a {@code .idx*-ubyte} file, optionally gzip-compressed
     * @return a reader positioned before the first item
     * @throws IdxFormatException when the file is missing, not IDX, not unsigned bytes, or has impossible dimensions
     */
    public static IdxReader open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IdxFormatException("The IDX file " + file + " does not exist or is not a regular file.");
        }
        DataInputStream in = null;
        try {
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            }
            in = new DataInputStream(raw);
            IdxReader reader = readHeader(file, in);
            in = null;
            return reader;
        } catch (IOException e) {
            throw damaged(file, "its header", e);
        } finally {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // the header error is what matters
                }
            }
        }
    }

    private static IdxReader readHeader(Path file, DataInputStream in) throws IOException {
        byte[] magic = new byte[4];
        int n = in.readNBytes(magic, 0, 4);
        if (n < 4) {
            throw new IdxFormatException("The IDX file " + file + " is too short (" + n
                    + " bytes) to hold the 4-byte IDX magic number.");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IdxFormatException(String.format("The file %s does not start with an IDX magic number"
                    + " (0x0000 followed by a type and a rank byte) but with 0x%02x%02x%02x%02x; it is not an IDX file.",
                    file, magic[0], magic[1], magic[2], magic[3]));
        }
        int type = magic[2] & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new IdxFormatException(String.format("The IDX file %s holds data of type 0x%02x (%s); only unsigned"
                    + " bytes (0x08) are supported.", file, type, typeName(type)));
        }
        int rank = magic[3] & 0xff;
        if (rank < 1 || rank > MAX_RANK) {
            throw new IdxFormatException("The IDX file " + file + " declares " + rank + " dimensions; expected 1 to "
                    + MAX_RANK + ".");
        }
        int[] dims = new int[rank];
        long size = 1;
        for (int i = 0; i < rank; i++) {
            try {
                dims[i] = in.readInt();
            } catch (EOFException e) {
                throw new IdxFormatException("The IDX file " + file + " is truncated: its header ends before dimension "
                        + i + " of " + rank + ".", e);
            }
            if (dims[i] < 0 || (i > 0 && dims[i] == 0)) {
                throw new IdxFormatException("The IDX file " + file + " declares dimension " + i + " as " + dims[i]
                        + "; dimensions must be positive (the item count may be 0).");
            }
            if (i > 0) {
                size *= dims[i];
                if (size > Integer.MAX_VALUE - 8) {
                    throw new IdxFormatException("The IDX file " + file + " declares items of " + size
                            + " or more bytes (dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                            + "), too large to read.");
                }
            }
        }
        return new IdxReader(file, in, dims, (int) size);
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0b -> "16-bit integer";
            case 0x0c -> "32-bit integer";
            case 0x0d -> "32-bit float";
            case 0x0e -> "64-bit float";
            default -> "not an IDX type";
        };
    }

    /** @return the file being read */
    public Path file() {
        return file;
    }

    /** @return all dimensions from the header, the item count first (a copy) */
    public int[] dimensions() {
        return dimensions.clone();
    }

    /** @return the number of items the header declares (the first dimension) */
    public int count() {
        return dimensions[0];
    }

    /** @return the number of bytes in one item (the product of the other dimensions; 1 for a label file) */
    public int itemSize() {
        return itemSize;
    }

    /** @return how many items were read so far */
    public int itemsRead() {
        return itemsRead;
    }

    /** @return whether another item remains */
    public boolean hasNext() {
        return itemsRead < dimensions[0];
    }

    /**
     * Reads the next item.
     *
     * @return a new array of {@link #itemSize()} bytes (read them with {@code b & 0xff})
     * @throws NoSuchElementException when every item was read
     * @throws IdxFormatException     when the file ends early, is corrupt, or goes on after its last item
     */
    public byte[] next() {
        byte[] item = new byte[itemSize];
        next(item);
        return item;
    }

    /**
     * Reads the next item into an array.
     *
     * @param into an array of at least {@link #itemSize()} bytes
     * @throws NoSuchElementException when every item was read
     * @throws IdxFormatException     when the file ends early, is corrupt, or goes on after its last item
     */
    public void next(byte[] into) {
        if (closed) {
            throw new IllegalStateException("The IDX reader of " + file + " is closed.");
        }
        if (!hasNext()) {
            throw new NoSuchElementException("All " + dimensions[0] + " items of " + file + " were read.");
        }
        if (into.length < itemSize) {
            throw new IllegalArgumentException("The buffer holds " + into.length + " bytes but an item of " + file
                    + " has " + itemSize + ".");
        }
        try {
            in.readFully(into, 0, itemSize);
            itemsRead++;
            if (!hasNext() && in.read() >= 0) {
                throw new IdxFormatException("The IDX file " + file + " goes on after its last item: its header"
                        + " declares " + Arrays.toString(dimensions) + " but there is more data; the file is corrupt.");
            }
        } catch (EOFException e) {
            throw new IdxFormatException("The IDX file " + file + " is truncated: its header declares "
                    + dimensions[0] + " items of " + itemSize + " bytes but the data ends in item " + itemsRead
                    + ". Obtain the file again.", e);
        } catch (IOException e) {
            throw damaged(file, "item " + itemsRead, e);
        }
    }

    private static IdxFormatException damaged(Path file, String where, IOException e) {
        String what = e instanceof EOFException || String.valueOf(e.getMessage()).contains("Unexpected end")
                ? "is truncated" : "is corrupt";
        return new IdxFormatException("The IDX file " + file + " " + what + " (while reading " + where + "): "
                + e.getMessage() + ". Obtain the file again.", e);
    }

    /** Closes the file. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                in.close();
            } catch (IOException e) {
                throw new IdxFormatException("Could not close the IDX file " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "IdxReader(" + file + ", dimensions=" + Arrays.toString(dimensions) + ", read=" + itemsRead + ")";
    }
}
