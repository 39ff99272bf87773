/**
 * Runnable Spark examples and the Spark scaling benchmark.
 */
package dev.transferkit.spark.examples;
