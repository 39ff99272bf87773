/**
 * A serving example: {@link dev.transferkit.serving.PredictorService} loads a saved predictor and classifies images on
 * the command line or over HTTP, depending on transfer-predict and transfer-core only.
 */
package dev.transferkit.serving;
