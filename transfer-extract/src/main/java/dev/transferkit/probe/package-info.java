/**
 * Choosing the feature layer by experiment: {@link dev.transferkit.probe.LayerProbe} extracts several candidate layers
 * in one pass and cross-validates a linear head on each; {@link dev.transferkit.probe.ProbeResult} reports the table
 * and the winner, {@link dev.transferkit.probe.ProbePlot} draws score against depth.
 */
package dev.transferkit.probe;
