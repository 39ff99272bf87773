/**
 * Runnable examples: the main food/non-food job, classification, fine-tuning, larger-than-memory training and
 * prediction.
 */
package dev.transferkit.examples;
