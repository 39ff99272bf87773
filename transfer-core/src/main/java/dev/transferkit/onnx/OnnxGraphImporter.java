package dev.transferkit.onnx;

import onnx.Onnx;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps a CNN exported to ONNX (opsets {@value #MIN_OPSET} to {@value #MAX_OPSET}; tested with 11 to 17) onto a DL4J
 * {@link ComputationGraph} with the same weights, for fine-tuning with DL4J's transfer-learning API and for saving
 * with {@code ModelSerializer}.
 * <ul>
 *     <li>The network input is named as the ONNX graph input (NCHW float, one input); every vertex that computes an
 *     ONNX tensor is named after that tensor, so asking the DL4J graph for a tensor name (with
 *     {@code feedForward}) gives the activation ONNX computes for it. Helper vertices with no ONNX counterpart (the
 *     zero padding before an asymmetrically padded convolution) are named {@code TENSOR/zero_padding}.</li>
 *     <li>The graph's outputs are the ONNX graph outputs, in order.</li>
 *     <li>The parameters are the ONNX initialisers and {@code Constant} values, converted to DL4J's layouts.</li>
 * </ul>
 * Supported operators: Conv (group 1 or depthwise), BatchNormalization (inference mode), Relu, LeakyRelu, Sigmoid,
 * Tanh, Clip, HardSigmoid, HardSwish, Softmax, Add, Mul (with broadcasting), Concat, MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, Flatten, Reshape (as a flatten), Gemm, MatMul (with a following bias Add), Pad
 * (constant zero), Dropout, Identity and Constant. Any other operator, or an unsupported attribute value, raises an
 * {@link OnnxImportException} naming the node; no node is skipped.
 * <p>
 * Custom configuration classes of the resulting graph ({@link BroadcastElementWiseVertex},
 * {@link ActivationOnnxHardSigmoid}, {@link ActivationOnnxHardSwish}, {@link ActivationClip}) serialise with DL4J's
 * {@code ModelSerializer}; loading such a model needs TransferKit core on the class path.
 */
public final class OnnxGraphImporter {
    /** The oldest default-domain opset accepted. */
    public static final int MIN_OPSET = 7;
    /** The newest default-domain opset accepted (opset 18 changed Pad, the reductions and the pooling rules). */
    public static final int MAX_OPSET = 17;

    private OnnxGraphImporter() {
    }

    /**
     * Reads an ONNX file and imports it.
     *
     * @param onnxFile the model file (external weight files are read from its directory)
     * @param channels the input channels
     * @param height   the input height
     * @param width    the input width
     * @return the initialised graph, with the ONNX weights
     * @throws OnnxModelException  when the file cannot be read or is not a usable ONNX model
     * @throws OnnxImportException when the model cannot be imported; the message names the node
     */
    public static ComputationGraph importGraph(Path onnxFile, int channels, int height, int width) {
        return importGraph(OnnxModel.read(onnxFile).proto(), channels, height, width);
    }

    /**
     * Imports a model.
     *
     * @param model    the ONNX model
     * @param channels the input channels
     * @param height   the input height
     * @param width    the input width
     * @return the initialised graph, with the ONNX weights
     * @throws OnnxImportException when the model cannot be imported; the message names the node, its inputs and the
     *                             operator or attribute value that is not supported
     */
    public static ComputationGraph importGraph(Onnx.ModelProto model, int channels, int height, int width) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("The input shape must be positive, but it is " + channels + "x"
                    + height + "x" + width + " (channels x height x width).");
        }
        int opset = opset(model);
        Onnx.GraphProto graph = model.getGraph();
        String input = networkInput(graph, channels, height, width);

        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, List<OnnxNode>> consumers = new HashMap<>();
        Set<String> tensorNames = new HashSet<>();
        tensorNames.add(input);
        for (Onnx.NodeProto proto : graph.getNodeList()) {
            OnnxNode node = new OnnxNode(proto, opset);
            nodes.add(node);
            for (String in : node.inputs()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(node);
                }
            }
            tensorNames.addAll(node.outputs());
        }
        Set<String> outputs = new LinkedHashSet<>();
        for (Onnx.ValueInfoProto out : graph.getOutputList()) {
            outputs.add(out.getName());
        }

        InputType inputType = InputType.convolutional(height, width, channels);
        ComputationGraphConfiguration.GraphBuilder builder = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).weightInit(WeightInit.ZERO).graphBuilder()
                .addInputs(input).setInputTypes(inputType).allowDisconnected(true);
        ImportContext ctx = new ImportContext(builder, tensorNames, consumers, outputs);
        ctx.input(input, ActivationShape.image(channels, height, width));
        for (Onnx.TensorProto init : graph.getInitializerList()) {
            ctx.defineConstant(init.getName(), OnnxTensors.toArray(init, "the initialisers"));
        }

        OperatorRegistry registry = OperatorRegistry.standard();
        ConstantMapper constants = new ConstantMapper();
        for (OnnxNode node : nodes) {
            if (ctx.isDone(node)) {
                continue;
            }
            if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
                throw node.unsupported("the operator " + node.op() + " of domain '" + node.domain()
                        + "' is not supported; only operators of the default ONNX domain are.");
            }
            if (node.op().equals("Identity") && ctx.isConstant(node.input(0))) {
                constants.map(node, ctx);
                continue;
            }
            OperatorMapper mapper = registry.mapper(node.op());
            if (mapper == null) {
                throw node.unsupported("the operator " + node.op() + " is not supported; the supported operators are "
                        + String.join(", ", registry.operators()) + ".");
            }
            mapper.map(node, ctx);
        }

        for (String out : outputs) {
            if (!ctx.isActivation(out) || out.equals(input)) {
                throw new OnnxImportException("The ONNX graph output '" + out + "' is "
                        + (ctx.isConstant(out) ? "a constant" : out.equals(input) ? "the graph input itself"
                        : "not computed by a vertex of the imported graph (a MatMul fused with its bias Add)")
                        + "; only computed tensors can be outputs of the DL4J graph.");
            }
        }
        builder.setOutputs(outputs.toArray(new String[0]));
        ComputationGraphConfiguration conf = builder.build();
        checkShapes(conf, inputType, ctx);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        loadParams(net, ctx);
        return net;
    }

    private static int opset(Onnx.ModelProto model) {
        int opset = -1;
        for (Onnx.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                opset = (int) id.getVersion();
            }
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new OnnxImportException("The ONNX model's default operator set is "
                    + (opset < 0 ? "not declared" : "version " + opset) + "; opsets " + MIN_OPSET + " to "
                    + MAX_OPSET + " are supported (export with opset_version between them, e.g. 13).");
        }
        return opset;
    }

    /** The one graph input that is not an initialiser, checked against the given shape. */
    private static String networkInput(Onnx.GraphProto graph, int channels, int height, int width) {
        Set<String> initialisers = new HashSet<>();
        for (Onnx.TensorProto t : graph.getInitializerList()) {
            initialisers.add(t.getName());
        }
        List<Onnx.ValueInfoProto> inputs = new ArrayList<>();
        for (Onnx.ValueInfoProto in : graph.getInputList()) {
            if (!initialisers.contains(in.getName())) {
                inputs.add(in);
            }
        }
        if (inputs.size() != 1) {
            List<String> names = new ArrayList<>();
            inputs.forEach(i -> names.add(i.getName()));
            throw new OnnxImportException("The ONNX graph has " + inputs.size() + " inputs " + names
                    + "; exactly one NCHW image input is supported.");
        }
        Onnx.ValueInfoProto in = inputs.get(0);
        if (in.getType().hasTensorType()) {
            Onnx.TypeProto.Tensor t = in.getType().getTensorType();
            if (t.getElemType() != Onnx.TensorProto.DataType.FLOAT_VALUE) {
                throw new OnnxImportException("The ONNX graph input '" + in.getName() + "' has element type "
                        + t.getElemType() + "; only float32 inputs are supported.");
            }
            if (t.hasShape()) {
                long[] expected = {channels, height, width};
                Onnx.TensorShapeProto shape = t.getShape();
                if (shape.getDimCount() != 4) {
                    throw new OnnxImportException("The ONNX graph input '" + in.getName() + "' has rank "
                            + shape.getDimCount() + "; an NCHW image input of rank 4 is expected.");
                }
                for (int i = 1; i < 4; i++) {
                    Onnx.TensorShapeProto.Dimension d = shape.getDim(i);
                    if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() != expected[i - 1]) {
                        throw new OnnxImportException("The ONNX graph input '" + in.getName() + "' has size "
                                + d.getDimValue() + " in dimension " + i + " but the requested input shape is "
                                + Arrays.toString(expected) + " (channels, height, width).");
                    }
                }
            }
        }
        return in.getName();
    }

    /** Checks that DL4J infers the same activation shapes as the import (guards the padding and layout rules). */
    private static void checkShapes(ComputationGraphConfiguration conf, InputType inputType, ImportContext ctx) {
        Map<String, InputType> types = conf.getLayerActivationTypes(inputType);
        for (Map.Entry<String, InputType> e : types.entrySet()) {
            ActivationShape expected = ctx.shapeOf(e.getKey());
            if (expected != null && !Arrays.equals(expected.dims(), e.getValue().getShape(false))) {
                throw new IllegalStateException("Internal error: DL4J computes the shape "
                        + Arrays.toString(e.getValue().getShape(false)) + " for the vertex '" + e.getKey()
                        + "' where ONNX gives " + expected + ".");
            }
        }
    }

    private static void loadParams(ComputationGraph net, ImportContext ctx) {
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            Map<String, INDArray> values = ctx.params().getOrDefault(name, Map.of());
            Map<String, INDArray> table = layer.paramTable();
            if (!table.keySet().equals(values.keySet())) {
                throw new IllegalStateException("Internal error: the layer '" + name + "' has parameters "
                        + table.keySet() + " but the import provides " + values.keySet() + ".");
            }
            for (Map.Entry<String, INDArray> e : values.entrySet()) {
                INDArray target = table.get(e.getKey());
                INDArray value = e.getValue();
                if (!Arrays.equals(target.shape(), value.shape())
                        && Arrays.equals(withoutOnes(target.shape()), withoutOnes(value.shape()))) {
                    value = value.reshape(target.shape()); // a bias as [n] or [1, n]
                }
                if (!Arrays.equals(target.shape(), value.shape())) {
                    throw new IllegalStateException("Internal error: the parameter " + e.getKey() + " of layer '"
                            + name + "' has shape " + Arrays.toString(target.shape()) + " but the import provides "
                            + Arrays.toString(value.shape()) + ".");
                }
                layer.setParam(e.getKey(), value.castTo(target.dataType()));
            }
        }
    }

    private static long[] withoutOnes(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }
}
