package dev.transferkit.onnx;

import onnx.Onnx;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One ONNX node, with typed access to its attributes and a way to report what about it cannot be imported.
 */
final class OnnxNode {
    private final Onnx.NodeProto proto;
    private final int opset;

    /**
     * Wraps a node.
     *
     * @param proto the node
     * @param opset the model's version of the default ONNX operator set
     */
    OnnxNode(Onnx.NodeProto proto, int opset) {
        this.proto = proto;
        this.opset = opset;
    }

    /** @return the operator, e.g. {@code Conv} */
    String op() {
        return proto.getOpType();
    }

    /** @return the node's name, or its first output when the node has no name */
    String name() {
        return proto.getName().isEmpty() ? proto.getOutput(0) : proto.getName();
    }

    /** @return the model's version of the default operator set */
    int opset() {
        return opset;
    }

    /** @return the input tensor names ("" for an omitted optional input) */
    List<String> inputs() {
        return proto.getInputList();
    }

    /**
     * @param i an input position
     * @return the input's tensor name, or "" when the node has fewer inputs or the optional input is omitted
     */
    String input(int i) {
        return i < proto.getInputCount() ? proto.getInput(i) : "";
    }

    /** @return the output tensor names */
    List<String> outputs() {
        return proto.getOutputList();
    }

    /** @return the first output's tensor name */
    String output() {
        return proto.getOutput(0);
    }

    /** @return the node's domain ("" or "ai.onnx" for the default operator set) */
    String domain() {
        return proto.getDomain();
    }

    /**
     * @param name an attribute name
     * @return whether the node sets it
     */
    boolean has(String name) {
        return attribute(name) != null;
    }

    /**
     * @param name     an attribute name
     * @param fallback the value when the node does not set it
     * @return the integer attribute
     */
    long getInt(String name, long fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getI();
    }

    /**
     * @param name     an attribute name
     * @param fallback the value when the node does not set it
     * @return the float attribute
     */
    float getFloat(String name, float fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getF();
    }

    /**
     * @param name     an attribute name
     * @param fallback the value when the node does not set it (may be null)
     * @return the integer list attribute
     */
    long[] getInts(String name, long[] fallback) {
        Onnx.AttributeProto a = attribute(name);
        if (a == null) {
            return fallback;
        }
        long[] values = new long[a.getIntsCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = a.getInts(i);
        }
        return values;
    }

    /**
     * A two-value spatial attribute such as {@code strides} or {@code dilations}, 1 in each dimension when absent.
     *
     * @param name an attribute name
     * @return the two values (height, width)
     * @throws OnnxImportException when the attribute does not hold two positive values
     */
    long[] getPair(String name) {
        long[] v = getInts(name, new long[]{1, 1});
        if (v.length != 2 || v[0] < 1 || v[1] < 1) {
            throw unsupported(name + " = " + java.util.Arrays.toString(v)
                    + " is not two positive values (only 2-d windows are supported).");
        }
        return v;
    }

    /**
     * @param name     an attribute name
     * @param fallback the value when the node does not set it
     * @return the string attribute, decoded as UTF-8
     */
    String getString(String name, String fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getS().toString(StandardCharsets.UTF_8);
    }

    /**
     * @param name an attribute name
     * @return the attribute, or null when the node does not set it
     */
    Onnx.AttributeProto attribute(String name) {
        for (Onnx.AttributeProto a : proto.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** @return the attributes the node sets */
    List<Onnx.AttributeProto> attributes() {
        return proto.getAttributeList();
    }

    /** @return e.g. {@code the Conv node '/conv1/Conv' (inputs: x, w)} */
    String describe() {
        return "the " + op() + " node '" + name() + "' (inputs: "
                + (proto.getInputCount() == 0 ? "none" : String.join(", ", proto.getInputList())) + ")";
    }

    /**
     * Makes the exception for something about this node that cannot be imported.
     *
     * @param problem a sentence (without the node) saying what is wrong and what would be accepted
     * @return the exception, to throw
     */
    OnnxImportException unsupported(String problem) {
        String subject = describe();
        return new OnnxImportException(Character.toUpperCase(subject.charAt(0)) + subject.substring(1)
                + " cannot be imported: " + problem);
    }
}
