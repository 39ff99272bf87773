package dev.transferkit.head;

import dev.transferkit.core.TransferKitIOException;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A small multi-layer perceptron on extracted features (for example D→256→16→k), trained batch by batch from a
 * feature store by {@code MlpHeadTrainer} (transfer-extract). Scores are softmax probabilities. Thread-safe: calls
 * into the network are synchronised.
 */
public final class MlpHead implements Head {
    private final MultiLayerNetwork network;
    private final List<String> labels;
    private final int inputDim;
    private final List<EpochResult> history;

    MlpHead(MultiLayerNetwork network, List<String> labels, int inputDim, List<EpochResult> history) {
        this.network = network;
        this.labels = List.copyOf(labels);
        this.inputDim = inputDim;
        this.history = List.copyOf(history);
    }

    /**
     * Restores a head saved with {@link #toBytes()}.
     *
     * @param bytes    a DL4J model zip
     * @param labels   the class names, in output order
     * @param inputDim the feature dimension
     * @return the head
     * @throws IllegalArgumentException when the bytes are not a DL4J network of the right shape
     */
    public static MlpHead fromBytes(byte[] bytes, List<String> labels, int inputDim) {
        MultiLayerNetwork net;
        try {
            net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("The stored MLP head is not a readable DL4J network: " + e.getMessage(), e);
        }
        long nIn = net.layerInputSize(0);
        long nOut = net.layerSize(net.getnLayers() - 1);
        if (nIn != inputDim || nOut != labels.size()) {
            throw new IllegalArgumentException("The stored MLP head maps " + nIn + " features to " + nOut
                    + " classes, but " + inputDim + " features and " + labels.size() + " classes were expected.");
        }
        return new MlpHead(net, labels, inputDim, List.of());
    }

    @Override
    public List<String> labels() {
        return labels;
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public boolean probabilistic() {
        return true;
    }

    /** @return per-epoch results of the training that produced this head; empty for a restored head */
    public List<EpochResult> history() {
        return history;
    }

    @Override
    public double[] scores(float[] features) {
        Head.checkDim(this, features);
        INDArray x = Nd4j.create(features, new long[]{1, inputDim}, 'c');
        synchronized (network) {
            return network.output(x, false).castTo(DataType.DOUBLE).toDoubleVector();
        }
    }

    /**
     * Scores a batch.
     *
     * @param features {@code [n, inputDim]}
     * @return {@code [n, classes]} probabilities
     */
    public INDArray scores(INDArray features) {
        if (features.rank() != 2 || features.columns() != inputDim) {
            throw new IllegalArgumentException("This head expects features of shape [n, " + inputDim + "] but got "
                    + java.util.Arrays.toString(features.shape()) + ".");
        }
        synchronized (network) {
            return network.output(features, false);
        }
    }

    /** @return the network as a DL4J model zip, for saving */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            synchronized (network) {
                ModelSerializer.writeModel(network, out, false);
            }
        } catch (IOException e) {
            throw new TransferKitIOException("Could not serialise the MLP head's network: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @Override
    public String toString() {
        StringBuilder layers = new StringBuilder().append(inputDim);
        for (int i = 0; i < network.getnLayers(); i++) {
            layers.append("→").append(network.layerSize(i));
        }
        return "MlpHead(" + layers + ", classes=" + labels + ", epochs=" + history.size() + ")";
    }
}
