/**
 * Benchmarks that measure TransferKit against a peer (ONNX Runtime, PyTorch) in the same run, printing the CPU's
 * flags with the results.
 */
package dev.transferkit.examples.bench;
