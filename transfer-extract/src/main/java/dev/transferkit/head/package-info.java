/**
 * Heads trained on stored features: linear (logistic regression, linear SVM) with cross-validated regularisation, and
 * a small MLP trained batch by batch from disk.
 */
package dev.transferkit.head;
