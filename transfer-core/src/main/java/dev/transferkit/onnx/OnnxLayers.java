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
     * {@code layer3/layer3.1}, {@code features/features.13}), or one level deep for a top-level module that computes
     * something itself (e.g. {@code maxpool}, or InceptionV3's {@code Mixed_6e}, which concatenates its branches), the
     * last tensor it produces. Scope levels shared by every node (a wrapper module) are skipped. Graphs whose node
     * names carry no scopes give an empty list.
     *
     * @param model the model
     * @return tensor names in graph order
     */
    public static List<String> blockOutputs(OnnxModel model) {
        List<Onnx.NodeProto> nodes = model.proto().getGraph().getNodeList();
        int shared = sharedScope(nodes);
        // A module with operations of its own (InceptionV3's Mixed_6e ends in a Concat) is one block; a container
        // without any (a Sequential such as layer3 or features) holds blocks.
        java.util.Set<String> selfComputing = new java.util.HashSet<>();
        for (Onnx.NodeProto n : nodes) {
            String[] parts = scopes(n.getName());
            if (parts.length == shared + 1 && !n.getOpType().equals("Constant")) {
                selfComputing.add(parts[shared]);
            }
        }
        Map<String, String> lastOutput = new LinkedHashMap<>();
        for (Onnx.NodeProto n : nodes) {
            String scope = scope(n.getName(), shared);
            if (scope != null && selfComputing.contains(scopes(n.getName())[shared])) {
                scope = scopes(n.getName())[shared];
            }
            if (scope != null && n.getOutputCount() > 0 && !n.getOutput(0).isEmpty() && !n.getOpType().equals("Constant")) {
                lastOutput.remove(scope); // re-inserted: ordered by where each module ends
                lastOutput.put(scope, n.getOutput(0));
            }
        }
        return new ArrayList<>(lastOutput.values());
    }

    /** The scope levels every scoped node shares, e.g. 1 when a wrapper module holds the network as {@code /model/...}. */
    private static int sharedScope(List<Onnx.NodeProto> nodes) {
        String[] common = null;
        int length = 0;
        for (Onnx.NodeProto n : nodes) {
            String[] parts = scopes(n.getName());
            if (parts.length == 0) {
                continue;
            }
            if (common == null) {
                common = parts;
                length = parts.length;
            } else {
                int i = 0;
                while (i < length && i < parts.length && common[i].equals(parts[i])) {
                    i++;
                }
                length = i;
            }
        }
        return length;
    }

    /** The module path of a node name, without the operation: {@code /layer3/layer3.1/relu/Relu} gives 3 levels. */
    private static String[] scopes(String nodeName) {
        if (!nodeName.startsWith("/")) {
            return new String[0];
        }
        String[] parts = nodeName.substring(1).split("/");
        return java.util.Arrays.copyOf(parts, parts.length - 1);
    }

    /**
     * Returns the module a node belongs to, two scope levels deep at most below the levels all nodes share, or null
     * when the name has no scope there.
     */
    static String scope(String nodeName, int shared) {
        String[] parts = scopes(nodeName);
        if (parts.length <= shared) {
            return null; // a top-level operation such as /Flatten
        }
        return parts.length == shared + 1 ? parts[shared] : parts[shared] + "/" + parts[shared + 1];
    }
}
