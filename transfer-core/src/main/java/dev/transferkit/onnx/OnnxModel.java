package dev.transferkit.onnx;

import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;
import org.nd4j.shade.protobuf.CodedInputStream;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model read from a file, with its weights in memory: the one image input it takes, the tensors its nodes
 * produce (any of which can be a feature layer), and cuts of the graph that end at chosen tensors. Weights stored in
 * external data files next to the model are read in; a model that is not ONNX, is truncated, has no single image
 * input or refers to missing external data is refused with a message that names the file and the problem.
 */
public final class OnnxModel {
    private final Path file;
    private final Onnx.ModelProto proto;
    private final String input;
    private final long[] inputShape;
    private final List<String> tensors;

    private OnnxModel(Path file, Onnx.ModelProto proto) {
        this.file = file;
        this.proto = proto;
        Onnx.GraphProto g = proto.getGraph();
        Set<String> weights = new HashSet<>();
        g.getInitializerList().forEach(t -> weights.add(t.getName()));
        List<Onnx.ValueInfoProto> inputs = g.getInputList().stream().filter(v -> !weights.contains(v.getName())).toList();
        if (inputs.size() != 1) {
            throw new OnnxModelException("The ONNX model " + file + " has " + inputs.size() + " inputs "
                    + inputs.stream().map(Onnx.ValueInfoProto::getName).toList() + ", but TransferKit feeds a model one"
                    + " image tensor; export it with the image as its only input.");
        }
        Onnx.ValueInfoProto in = inputs.get(0);
        this.input = in.getName();
        List<Onnx.TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape().getDimList();
        this.inputShape = dims.stream().mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1).toArray();
        if (inputShape.length != 4) {
            throw new OnnxModelException("The ONNX model " + file + " takes an input '" + input + "' of rank "
                    + inputShape.length + " " + Arrays.toString(inputShape) + ", but an image model takes a 4-d batch"
                    + " [n, channels, height, width] (or [n, height, width, channels]).");
        }
        int elemType = in.getType().getTensorType().getElemType();
        if (elemType != Onnx.TensorProto.DataType.FLOAT_VALUE) {
            throw new OnnxModelException("The ONNX model " + file + " takes its input '" + input + "' as "
                    + Onnx.TensorProto.DataType.forNumber(elemType) + ", but TransferKit feeds float32 images.");
        }
        List<String> out = new ArrayList<>();
        for (Onnx.NodeProto n : g.getNodeList()) {
            out.addAll(n.getOutputList().stream().filter(s -> !s.isEmpty()).toList());
        }
        this.tensors = List.copyOf(out);
    }

    /**
     * Reads an ONNX model file, and the external data files its weights refer to.
     *
     * @param file the {@code .onnx} file
     * @return the model
     * @throws OnnxModelException when the file is missing, not ONNX, truncated, has no graph, does not take exactly one
     *                            4-d float input, or refers to external data that is missing or outside its directory
     */
    public static OnnxModel read(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Onnx.ModelProto proto;
        try (InputStream in = Files.newInputStream(abs)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            proto = Onnx.ModelProto.parseFrom(coded);
        } catch (NoSuchFileException e) {
            throw new OnnxModelException("The ONNX model " + abs + " does not exist.", e);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxModelException("The file " + abs + " is not a readable ONNX model: it is truncated or in"
                    + " another format (" + e.getMessage() + ").", e);
        } catch (IOException e) {
            throw new OnnxModelException("Could not read the ONNX model " + abs + " (" + e + ").", e);
        }
        if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0 || proto.getIrVersion() <= 0) {
            throw new OnnxModelException("The file " + abs + " is not an ONNX model: it has " + (proto.hasGraph()
                    ? "a graph without nodes" : "no graph") + " (IR version " + proto.getIrVersion() + ").");
        }
        return new OnnxModel(abs, withExternalData(abs, proto));
    }

    /** Reads weights stored outside the model file into the model, refusing paths that leave its directory. */
    private static Onnx.ModelProto withExternalData(Path file, Onnx.ModelProto proto) {
        Onnx.GraphProto g = proto.getGraph();
        if (g.getInitializerList().stream().noneMatch(OnnxModel::isExternal)) {
            return proto;
        }
        Path dir = file.getParent();
        Onnx.GraphProto.Builder gb = g.toBuilder();
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            Onnx.TensorProto t = gb.getInitializer(i);
            if (!isExternal(t)) {
                continue;
            }
            Map<String, String> info = new HashMap<>();
            t.getExternalDataList().forEach(e -> info.put(e.getKey(), e.getValue()));
            String location = info.get("location");
            Path data = location == null ? null : dir.resolve(location).normalize();
            if (data == null || !data.startsWith(dir)) {
                throw new OnnxModelException("The weight '" + t.getName() + "' of the ONNX model " + file + " is stored in "
                        + (location == null ? "an external file it does not name" : "'" + location + "', outside the"
                        + " model's directory " + dir) + "; TransferKit reads external data only from the model's directory.");
            }
            long offset = Long.parseLong(info.getOrDefault("offset", "0"));
            long length = info.containsKey("length") ? Long.parseLong(info.get("length")) : -1;
            gb.setInitializer(i, t.toBuilder().clearExternalData().setDataLocation(Onnx.TensorProto.DataLocation.DEFAULT)
                    .setRawData(readRange(file, t.getName(), data, offset, length)).build());
        }
        return proto.toBuilder().setGraph(gb).build();
    }

    private static boolean isExternal(Onnx.TensorProto t) {
        return t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL;
    }

    private static ByteString readRange(Path model, String weight, Path data, long offset, long length) {
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            long n = length >= 0 ? length : ch.size() - offset;
            if (offset < 0 || n < 0 || offset + n > ch.size() || n > Integer.MAX_VALUE) {
                throw new OnnxModelException("The external data file " + data + " of the ONNX model " + model + " has "
                        + ch.size() + " bytes, too few for the weight '" + weight + "' (" + n + " bytes at offset " + offset
                        + "): it is truncated or belongs to another model.");
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) n);
            while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
                // read until full
            }
            buf.flip();
            return ByteString.copyFrom(buf);
        } catch (NoSuchFileException e) {
            throw new OnnxModelException("The ONNX model " + model + " keeps the weight '" + weight + "' in " + data
                    + ", which does not exist; copy it next to the model.", e);
        } catch (IOException e) {
            throw new OnnxModelException("Could not read the external data " + data + " of the ONNX model " + model
                    + " (" + e + ").", e);
        }
    }

    /** @return the file the model was read from, absolute */
    public Path file() {
        return file;
    }

    /** @return the parsed model, weights included */
    public Onnx.ModelProto proto() {
        return proto;
    }

    /** @return the name of the image input */
    public String inputName() {
        return input;
    }

    /** @return the input's dimensions as the file declares them, -1 where symbolic (e.g. the batch) */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** @return the graph's outputs, in order */
    public List<String> outputNames() {
        return proto.getGraph().getOutputList().stream().map(Onnx.ValueInfoProto::getName).toList();
    }

    /**
     * Returns the shape the file declares for one of its graph outputs.
     *
     * @param output a graph output
     * @return the dimensions, -1 where symbolic; empty when the file declares none
     */
    public long[] declaredShape(String output) {
        return proto.getGraph().getOutputList().stream().filter(v -> v.getName().equals(output)).findFirst()
                .map(v -> v.getType().getTensorType().getShape().getDimList().stream()
                        .mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1).toArray())
                .orElse(new long[0]);
    }

    /** @return every tensor a node produces, in the graph's (topological) order: the possible feature layers */
    public List<String> tensorNames() {
        return tensors;
    }

    /**
     * Returns the operator set version of the default ONNX domain.
     *
     * @return e.g. 13, or 0 when the model does not say
     */
    public long opset() {
        return proto.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(Onnx.OperatorSetIdProto::getVersion).findFirst().orElse(0);
    }

    /**
     * Throws unless a tensor of this graph has the given name.
     *
     * @param tensor a tensor name
     * @return the name
     * @throws OnnxModelException naming the model and a few of its tensors
     */
    public String requireTensor(String tensor) {
        if (!tensors.contains(tensor) && !input.equals(tensor)) {
            List<String> some = tensors.size() <= 12 ? tensors : tensors.subList(tensors.size() - 12, tensors.size());
            throw new OnnxModelException("The ONNX model " + file + " has no tensor '" + tensor + "'. Its last tensors are "
                    + some + " (" + tensors.size() + " in all; 'transferkit inspect' lists them with their shapes).");
        }
        return tensor;
    }

    /**
     * A cut of the graph: the model in a temporary file (streamed there, so a large model is never copied into one
     * Java array) and the nodes it kept. Closing it deletes the file.
     *
     * @param file  the model, ready for an ONNX Runtime session
     * @param nodes its nodes, in order
     */
    public record Cut(Path file, List<Onnx.NodeProto> nodes) implements AutoCloseable {
        /** Deletes the temporary file. */
        @Override
        public void close() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file; the OS cleans its temporary directory
            }
        }
    }

    /**
     * Writes the part of the graph that the given tensors depend on, with those tensors as its outputs and the input's
     * size fixed, to a temporary file.
     *
     * @param outputs    tensors of this graph
     * @param inputShape the input shape to declare, -1 for the (symbolic) batch dimension
     * @return the cut
     * @throws OnnxModelException when a tensor is not in the graph, or the model's input has a fixed size that differs
     *                            from {@code inputShape}
     */
    public Cut cut(List<String> outputs, long[] inputShape) {
        outputs.forEach(this::requireTensor);
        requireInput(inputShape);
        Onnx.GraphProto g = proto.getGraph();
        Map<String, Onnx.NodeProto> producer = new HashMap<>();
        for (Onnx.NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
        }
        Set<Onnx.NodeProto> needed = new HashSet<>();
        Set<String> used = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(outputs);
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (!used.add(t)) {
                continue;
            }
            Onnx.NodeProto n = producer.get(t);
            if (n != null && needed.add(n)) {
                n.getInputList().forEach(todo::push);
                subgraphInputs(n).forEach(todo::push);
            }
        }
        Onnx.GraphProto.Builder cut = Onnx.GraphProto.newBuilder().setName(g.getName());
        g.getNodeList().stream().filter(needed::contains).map(n -> padSafe(n, producer)).forEach(cut::addNode);
        g.getInitializerList().stream().filter(t -> used.contains(t.getName())).forEach(cut::addInitializer);
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (long d : inputShape) {
            shape.addDim(d < 0 ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("N").build()
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d).build());
        }
        cut.addInput(Onnx.ValueInfoProto.newBuilder().setName(input).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE).setShape(shape))));
        for (String o : new LinkedHashSet<>(outputs)) {
            cut.addOutput(Onnx.ValueInfoProto.newBuilder().setName(o).setType(Onnx.TypeProto.newBuilder().setTensorType(
                    Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile("transferkit-cut-", ".onnx");
            try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                proto.toBuilder().setGraph(cut).build().writeTo(out);
            }
            return new Cut(tmp, List.copyOf(cut.getNodeList()));
        } catch (IOException e) {
            if (tmp != null) {
                tmp.toFile().delete();
            }
            throw new OnnxModelException("Could not write the cut of the ONNX model " + file + " to a temporary file ("
                    + e + "); check the free space of " + System.getProperty("java.io.tmpdir") + ".", e);
        }
    }

    /**
     * Throws unless this model can take batches of the given shape: every size the file fixes must match.
     *
     * @param shape the batch shape, -1 for the batch dimension
     * @throws OnnxModelException naming both shapes
     */
    public void requireInput(long[] shape) {
        boolean fits = shape.length == inputShape.length;
        for (int i = 0; fits && i < shape.length; i++) {
            fits = inputShape[i] < 0 || shape[i] < 0 || inputShape[i] == shape[i];
        }
        if (!fits) {
            throw new OnnxModelException("The ONNX model " + file + " takes its input '" + input + "' shaped "
                    + Arrays.toString(inputShape) + " (-1: any size), so it cannot run on images shaped "
                    + Arrays.toString(shape) + "; use the model's input size, or export it with dynamic height and width.");
        }
    }

    /**
     * Marks an AveragePool without pads of its own that reads a Pad's output as counting padding in its divisor. That
     * changes nothing as the graph stands (the pool sees no padding of its own), but ONNX Runtime 1.20's basic
     * optimisations fuse the Pad into the pool's pads and, with the default {@code count_include_pad = 0}, average
     * the border differently from the model: torchvision's InceptionV3 then differs from PyTorch by 16 % of its
     * largest activation at {@code Mixed_6e}. With the mark, fused or not, the pool divides by the whole window.
     */
    private static Onnx.NodeProto padSafe(Onnx.NodeProto n, Map<String, Onnx.NodeProto> producer) {
        if (!n.getOpType().equals("AveragePool") || n.getInputCount() == 0) {
            return n;
        }
        Onnx.NodeProto pad = producer.get(n.getInput(0));
        boolean ownPads = n.getAttributeList().stream().anyMatch(a -> a.getName().equals("pads")
                && a.getIntsList().stream().anyMatch(v -> v != 0)) || n.getAttributeList().stream().anyMatch(a ->
                a.getName().equals("auto_pad") && !a.getS().toStringUtf8().equals("NOTSET") && !a.getS().isEmpty());
        boolean constantPad = pad != null && pad.getOpType().equals("Pad") && pad.getAttributeList().stream()
                .noneMatch(a -> a.getName().equals("mode") && !a.getS().toStringUtf8().equals("constant"));
        if (ownPads || !constantPad) {
            return n;
        }
        Onnx.NodeProto.Builder b = n.toBuilder();
        b.clearAttribute();
        n.getAttributeList().stream().filter(a -> !a.getName().equals("count_include_pad")).forEach(b::addAttribute);
        b.addAttribute(Onnx.AttributeProto.newBuilder().setName("count_include_pad").setI(1)
                .setType(Onnx.AttributeProto.AttributeType.INT));
        return b.build();
    }

    /** Names that nodes inside a node's subgraphs (If, Loop) read from the enclosing graph. */
    private static List<String> subgraphInputs(Onnx.NodeProto n) {
        List<String> out = new ArrayList<>();
        for (Onnx.AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> out.addAll(s.getInputList()));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "OnnxModel(" + file + ", input " + input + " " + Arrays.toString(inputShape) + ", opset " + opset() + ", "
                + proto.getGraph().getNodeCount() + " nodes)";
    }
}
