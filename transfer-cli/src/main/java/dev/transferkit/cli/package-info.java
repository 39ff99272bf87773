/**
 * The {@code transferkit} command line: classify, extract, train-head, fine-tune, predict, evaluate and inspect.
 */
package dev.transferkit.cli;
