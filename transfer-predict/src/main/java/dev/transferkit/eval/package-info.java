/**
 * Evaluation: classification reports (precision, recall, F1, balanced accuracy) and confusion matrices as text, CSV
 * and PNG.
 */
package dev.transferkit.eval;
