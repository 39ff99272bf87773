/**
 * The saved predictor ({@link dev.transferkit.predict.TransferModel}): base network, layer, pooling, head, labels and
 * image options in one file, batch prediction output, and evaluation on images or on
 * {@link dev.transferkit.predict.StoredFeatures}. This module (transfer-predict) needs neither HDF5, liblinear nor
 * Spark: a serving application depends on it alone.
 */
package dev.transferkit.predict;
