/**
 * Fast frozen inference: {@link dev.transferkit.engine.InferenceEngine} exports the part of a DL4J network that the
 * requested layers depend on to ONNX and runs it in ONNX Runtime, with DL4J running any vertex that cannot be
 * exported.
 */
package dev.transferkit.engine;
