package dev.transferkit.head;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns heads into named byte entries for a saved predictor and back. Each head kind has one entry name, so a
 * predictor file says by itself which kind of head it holds.
 */
public final class HeadCodec {
    /** Entry of a {@link LinearHead}: {@link LinearHead#toBytes()}, standardisation and weights. */
    public static final String LINEAR_ENTRY = "head/linear-head.bin";
    /**
     * Entry of a {@link LinearHead} saved before heads were standardised: liblinear's own model text. Still read;
     * no longer written.
     */
    public static final String LIBLINEAR_ENTRY = "head/liblinear-model.txt";
    /** Entry of an {@link MlpHead}: a DL4J model zip. */
    public static final String MLP_ENTRY = "head/mlp.zip";

    private HeadCodec() {
    }

    /**
     * Encodes a head.
     *
     * @param head a {@link LinearHead} or {@link MlpHead}
     * @return entry name to bytes
     * @throws IllegalArgumentException for any other head type
     */
    public static Map<String, byte[]> encode(Head head) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        if (head instanceof LinearHead linear) {
            entries.put(LINEAR_ENTRY, linear.toBytes());
        } else if (head instanceof MlpHead mlp) {
            entries.put(MLP_ENTRY, mlp.toBytes());
        } else {
            throw new IllegalArgumentException("Heads of type " + head.getClass().getName() + " cannot be saved; "
                    + "use a LinearHead or an MlpHead.");
        }
        return entries;
    }

    /**
     * Decodes the head found among a predictor's entries.
     *
     * @param entries  entry name to bytes
     * @param labels   class names
     * @param inputDim feature dimension
     * @param info     training details recorded with the head
     * @return the head
     * @throws IllegalArgumentException when no head entry is present, or it does not fit the labels and dimension
     */
    public static Head decode(Map<String, byte[]> entries, List<String> labels, int inputDim, Map<String, String> info) {
        if (entries.containsKey(LINEAR_ENTRY)) {
            return LinearHead.fromBytes(entries.get(LINEAR_ENTRY), labels, inputDim, info);
        }
        if (entries.containsKey(LIBLINEAR_ENTRY)) {
            return LinearHead.fromModelText(new String(entries.get(LIBLINEAR_ENTRY), StandardCharsets.UTF_8), labels, inputDim, info);
        }
        if (entries.containsKey(MLP_ENTRY)) {
            return MlpHead.fromBytes(entries.get(MLP_ENTRY), labels, inputDim);
        }
        throw new IllegalArgumentException("No head entry (" + LINEAR_ENTRY + ", " + LIBLINEAR_ENTRY + " or " + MLP_ENTRY
                + ") was found among " + entries.keySet() + ".");
    }

    /**
     * Returns training details worth keeping with a head.
     *
     * @param head the head
     * @return for linear heads their solver details; otherwise the head's description
     */
    public static Map<String, String> info(Head head) {
        if (head instanceof LinearHead linear) {
            return linear.info();
        }
        return Map.of("head", head.toString());
    }
}
