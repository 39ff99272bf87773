/**
 * Apache Spark: extraction into sharded feature stores across executors, reading them back, and MLlib heads.
 */
package dev.transferkit.spark;
