/**
 * The one-call path: {@link dev.transferkit.TransferLearner} extracts features into a store, trains a head and returns a
 * predictor.
 */
package dev.transferkit;
