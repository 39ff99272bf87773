/**
 * What every module shares: the exception root, atomic file writes, the TransferKit home directory and the choice of
 * ND4J's native build.
 */
package dev.transferkit.core;
