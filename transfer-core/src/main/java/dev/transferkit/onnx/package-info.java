/**
 * Maps a pretrained CNN exported to ONNX (torchvision, timm, tf2onnx) onto a DL4J
 * {@link org.deeplearning4j.nn.graph.ComputationGraph} with the same weights, so that DL4J's fine-tuning works on
 * it. {@link dev.transferkit.onnx.OnnxGraphImporter} is the entry point; one {@code OperatorMapper} per operator
 * family does the mapping, and {@link dev.transferkit.onnx.OnnxImportException} reports what cannot be mapped.
 */
package dev.transferkit.onnx;
