package dev.transferkit.onnx;

/**
 * Maps the ONNX nodes of one operator family onto DL4J layers and vertices.
 */
interface OperatorMapper {
    /**
     * Adds to the graph under construction the vertices that compute the node's output, naming the last one after
     * the node's output tensor, and records their parameters.
     *
     * @param node the node
     * @param ctx  the graph under construction
     * @throws OnnxImportException when an attribute value, an input or an input shape is not supported
     */
    void map(OnnxNode node, ImportContext ctx);
}
