package dev.transferkit.onnx;

import onnx.Onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which tensors of an ONNX image model make good feature layers. Exporters such as {@code torch.onnx.export} name each
 * node after the module that made it ({@code /layer3/layer3.1/relu_1/Relu}), so the last tensor a module produces is
 * that module's output: a block's output, as a Keras user would cut at {@code block_13_expand_relu} or
 * {@code conv5_block3_out}.
 */
public final class OnnxLayers {
    private static final Set<String> DENSE = Set.of("Gemm", "MatMul");

    private OnnxLayers() {
    }

    /**
     * Returns the recommended feature layers: the pooled vector the classifier reads first (when there is one), then
     * every block output before the classifier, in graph order.
     *
     * @param model the model
     * @return tensor names, recommended default first; empty when the graph has neither
     */
    public static List<String> candidates(OnnxModel model) {
        Set<String> out = new LinkedHashSet<>();
        pooledFeatures(model).ifPresent(out::add);
        Set<String> beforeClassifier = new java.util.HashSet<>();
        for (Onnx.NodeProto n : model.proto().getGraph().getNodeList()) {
            if (DENSE.contains(n.getOpType())) {
                break;
            }
            beforeClassifier.addAll(n.getOutputList());
        }
        blockOutputs(model).stream().filter(beforeClassifier::contains).forEach(out::add);
        return List.copyOf(out);
    }

    /**
     * Returns the input of the first fully connected node (Gemm or MatMul), i.e. the pooled and flattened activations
     * the original classifier reads: the features of Keras' {@code include_top=False} with pooling.
     *
     * @param model the model
     * @return the tensor, or empty when the graph has no fully connected node fed by the image path
     */
    public static Optional<String> pooledFeatures(OnnxModel model) {
        Set<String> weights = new java.util.HashSet<>();
        model.proto().getGraph().getInitializerList().forEach(t -> weights.add(t.getName()));
        for (Onnx.NodeProto n : model.proto().getGraph().getNodeList()) {
            if (DENSE.contains(n.getOpType())) {
                return n.getInputList().stream().filter(i -> !weights.contains(i)).findFirst();
            }
        }
        return Optional.empty();
    }

    /**
     * Returns each module's output: for every module two levels deep in the node names' scopes (e.g.
     * {@code layer3/layer3.1}, {@code features/features.13}), or one level deep for a top-level module without
     * sub-modules (e.g. {@code maxpool}), the last tensor it produces. Graphs whose node names carry no scopes give an
     * empty list.
     *
     * @param model the model
     * @return tensor names in graph order
     */
    public static List<String> blockOutputs(OnnxModel model) {
        Map<String, String> lastOutput = new LinkedHashMap<>();
        for (Onnx.NodeProto n : model.proto().getGraph().getNodeList()) {
            String scope = scope(n.getName());
            if (scope != null && n.getOutputCount() > 0 && !n.getOutput(0).isEmpty() && !n.getOpType().equals("Constant")) {
                lastOutput.remove(scope); // re-inserted: ordered by where each module ends
                lastOutput.put(scope, n.getOutput(0));
            }
        }
        return new ArrayList<>(lastOutput.values());
    }

    /** Returns the module a node belongs to, two scope levels deep at most, or null when the name has no scope. */
    static String scope(String nodeName) {
        if (!nodeName.startsWith("/")) {
            return null;
        }
        String[] parts = nodeName.substring(1).split("/");
        if (parts.length < 2) {
            return null; // a top-level operation such as /Flatten
        }
        return parts.length == 2 ? parts[0] : parts[0] + "/" + parts[1];
    }
}
