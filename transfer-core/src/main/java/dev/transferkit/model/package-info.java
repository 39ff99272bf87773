/**
 * Pretrained networks with everything needed to use them correctly ({@link dev.transferkit.model.BaseModel}), and
 * the sources they come from: nsfwjs, TensorFlow.js, Keras HDF5, DL4J zips and the DL4J zoo.
 */
package dev.transferkit.model;
