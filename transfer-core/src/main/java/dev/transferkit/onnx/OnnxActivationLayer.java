package dev.transferkit.onnx;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;

/**
 * A DL4J {@link ActivationLayer} that never overwrites its input. DL4J's own applies the activation in place at
 * inference, which silently changes the input tensor for every other reader: the convolution output that SiLU
 * ({@code x * Sigmoid(x)}) multiplies, or a tensor a user asks for by name. ONNX tensors are immutable, so imported
 * activations copy first. Serialisable with DL4J's JSON configuration.
 */
public class OnnxActivationLayer extends ActivationLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation. */
    public OnnxActivationLayer() {
    }

    /**
     * Creates the layer.
     *
     * @param activation the activation function
     */
    public OnnxActivationLayer(IActivation activation) {
        super(activation);
    }

    @Override
    public OnnxActivationLayer clone() {
        return (OnnxActivationLayer) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        Copying ret = new Copying(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    /** The runtime layer: DL4J's activation layer, but it applies the activation to a copy of the input. */
    static final class Copying extends org.deeplearning4j.nn.layers.ActivationLayer {
        private static final long serialVersionUID = 1L;

        Copying(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            INDArray in = mgr.dup(ArrayType.ACTIVATIONS, input, input.ordering());
            return layerConf().getActivationFn().getActivation(in, training);
        }
    }
}
