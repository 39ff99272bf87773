/**
 * The saved predictor ({@link dev.transferkit.predict.TransferModel}): base network, layer, pooling, head, labels and
 * image options in one file, and batch prediction output.
 */
package dev.transferkit.predict;
