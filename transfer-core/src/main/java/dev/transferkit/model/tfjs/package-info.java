/**
 * Import of TensorFlow.js layers models into DL4J: {@link dev.transferkit.model.tfjs.TfjsModel} reads a
 * {@code model.json} with binary shards or the JavaScript-module bundles of the npm package {@code nsfwjs}
 * (parsed with {@link dev.transferkit.model.tfjs.JsLiteral}), {@link dev.transferkit.model.tfjs.WeightSpec} decodes
 * float32, float16, int32 and quantised weights, and {@link dev.transferkit.model.tfjs.TfjsImporter} builds the
 * {@code ComputationGraph} through DL4J's Keras import.
 */
package dev.transferkit.model.tfjs;
