package dev.transferkit.head;

import dev.transferkit.core.TransferKitIOException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * TransferKit's binary format of a {@link LinearHead} (big-endian, as {@link DataOutputStream} writes): the magic
 * {@code TKLINEAR}, format version 1, the link name, classes, feature dimension and weight rows, a standardisation
 * flag followed by the means and scales when set, the weight rows and the intercepts, all doubles. Class names and
 * training details are saved next to it by the predictor.
 */
final class LinearHeadFormat {
    private static final String MAGIC = "TKLINEAR";
    private static final int VERSION = 1;

    private LinearHeadFormat() {
    }

    /**
     * @param head the head
     * @return its bytes
     */
    static byte[] write(LinearHead head) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeBytes(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(head.link().name());
            double[][] weights = head.weights();
            out.writeInt(head.labels().size());
            out.writeInt(head.inputDim());
            out.writeInt(weights.length);
            Standardizer s = head.standardizer();
            out.writeBoolean(s != null);
            if (s != null) {
                writeAll(out, s.mean());
                writeAll(out, s.scale());
            }
            for (double[] row : weights) {
                writeAll(out, row);
            }
            writeAll(out, head.intercepts());
        } catch (IOException e) {
            throw new TransferKitIOException("Could not write the linear head: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /**
     * @param bytes    the saved head
     * @param labels   class names
     * @param inputDim the feature dimension the predictor expects
     * @param info     training details
     * @return the head
     * @throws IllegalArgumentException when the bytes are not a linear head of this shape
     */
    static LinearHead read(byte[] bytes, List<String> labels, int inputDim, Map<String, String> info) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte[] magic = new byte[MAGIC.length()];
            in.readFully(magic);
            if (!MAGIC.equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
                throw new IllegalArgumentException("The stored linear head does not start with " + MAGIC + ".");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("The stored linear head has format version " + version
                        + "; this TransferKit reads version " + VERSION + ".");
            }
            String linkName = in.readUTF();
            Link link;
            try {
                link = Link.valueOf(linkName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("The stored linear head has the unknown link '" + linkName + "'.", e);
            }
            int classes = in.readInt();
            int dim = in.readInt();
            int rows = in.readInt();
            if (classes != labels.size() || dim != inputDim) {
                throw new IllegalArgumentException("The stored linear head maps " + dim + " features to " + classes
                        + " classes, but " + inputDim + " features and " + labels.size() + " classes (" + labels + ") were expected.");
            }
            if (rows != link.rows(classes)) {
                throw new IllegalArgumentException("The stored " + link + " head has " + rows + " weight rows for "
                        + classes + " classes.");
            }
            Standardizer s = in.readBoolean() ? new Standardizer(readAll(in, dim), readAll(in, dim)) : null;
            double[][] weights = new double[rows][];
            for (int k = 0; k < rows; k++) {
                weights[k] = readAll(in, dim);
            }
            double[] intercepts = readAll(in, rows);
            if (in.read() != -1) {
                throw new IllegalArgumentException("The stored linear head has bytes after its intercepts.");
            }
            return new LinearHead(labels, dim, s, weights, intercepts, link, info);
        } catch (IOException e) {
            throw new IllegalArgumentException("The stored linear head is truncated or unreadable: " + e.getMessage(), e);
        }
    }

    private static void writeAll(DataOutputStream out, double[] values) throws IOException {
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    private static double[] readAll(DataInputStream in, int n) throws IOException {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = in.readDouble();
        }
        return out;
    }
}
