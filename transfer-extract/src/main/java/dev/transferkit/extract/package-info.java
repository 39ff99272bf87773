/**
 * Feature extraction: {@link dev.transferkit.extract.FeatureExtractor} streams pooled activations of a chosen layer into
 * HDF5 feature stores, resumably and with progress; {@link dev.transferkit.extract.FeaturePipeline} is the forward pass
 * and pooling it shares with predictors.
 */
package dev.transferkit.extract;
