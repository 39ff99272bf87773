#!/usr/bin/env python3
"""Writes the tiny Keras HDF5 fixtures used by KerasSourceTest, without TensorFlow or Keras.

It lays the files out the way Keras 2.2 `model.save()` does: root attributes `model_config` (JSON),
`keras_version` and `backend`; a group `model_weights` whose attribute `layer_names` lists the layers, and one
group per layer whose attribute `weight_names` lists its weights, stored as datasets under those names.
The expected outputs are computed here with numpy, independently of DL4J, and written to `*.golden.json`.

Needs numpy and h5py (Debian: apt-get install -y python3-h5py). Run from anywhere:
    /usr/bin/python3 transfer-core/src/test/python/make_keras_fixtures.py
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "resources", "dev", "transferkit", "model", "keras")
GLOROT = {"class_name": "VarianceScaling",
          "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}


def conv_config(name, filters, **extra):
    config = {"name": name, "trainable": True, "filters": filters, "kernel_size": [3, 3], "strides": [1, 1],
              "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu",
              "use_bias": True, "kernel_initializer": GLOROT, "bias_initializer": ZEROS,
              "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None}
    config.update(extra)
    return config


def dense_config(name, units, activation):
    return {"name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
            "kernel_initializer": GLOROT, "bias_initializer": ZEROS, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}


def write_h5(path, model_config, weights):
    """weights: ordered list of (layer name, [(weight name, array)])."""
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(model_config).encode("utf-8")
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([name.encode("utf-8") for name, _ in weights])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.2.4"
        for layer, params in weights:
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = np.array([w.encode("utf-8") for w, _ in params])
            for w, value in params:
                lg.create_dataset(w, data=value.astype(np.float32))


def conv2d_valid(x, kernel, bias):
    """x: [n, h, w, c]; kernel: [3, 3, c, f] (Keras layout); 'valid' padding, stride 1."""
    n, h, w, _ = x.shape
    kh, kw, _, f = kernel.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, f), dtype=np.float64)
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            patch = x[:, i:i + kh, j:j + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def golden(path, x, y):
    with open(path, "w") as f:
        json.dump({"input_nhwc": x.tolist(), "output": y.tolist()}, f)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(20240601)
    x = rng.uniform(-1.0, 1.0, size=(2, 8, 8, 3)).astype(np.float32)

    # Functional: Input(8x8x3) -> Conv2D(4, 3x3, relu) -> MaxPooling2D(2x2) -> Flatten -> Dense(3, softmax).
    k1 = rng.normal(0, 0.5, size=(3, 3, 3, 4)).astype(np.float32)
    b1 = rng.normal(0, 0.1, size=(4,)).astype(np.float32)
    k2 = rng.normal(0, 0.2, size=(36, 3)).astype(np.float32)
    b2 = rng.normal(0, 0.1, size=(3,)).astype(np.float32)
    functional = {"class_name": "Model", "config": {
        "name": "tiny_functional",
        "layers": [
            {"name": "input_1", "class_name": "InputLayer",
             "config": {"batch_input_shape": [None, 8, 8, 3], "dtype": "float32", "sparse": False, "name": "input_1"},
             "inbound_nodes": []},
            {"name": "conv", "class_name": "Conv2D", "config": conv_config("conv", 4),
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"name": "pool", "class_name": "MaxPooling2D",
             "config": {"name": "pool", "trainable": True, "pool_size": [2, 2], "padding": "valid",
                        "strides": [2, 2], "data_format": "channels_last"},
             "inbound_nodes": [[["conv", 0, 0, {}]]]},
            {"name": "flatten", "class_name": "Flatten",
             "config": {"name": "flatten", "trainable": True, "data_format": "channels_last"},
             "inbound_nodes": [[["pool", 0, 0, {}]]]},
            {"name": "dense", "class_name": "Dense", "config": dense_config("dense", 3, "softmax"),
             "inbound_nodes": [[["flatten", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["dense", 0, 0]]}}
    write_h5(os.path.join(OUT, "tiny_functional.h5"), functional, [
        ("input_1", []),
        ("conv", [("conv/kernel:0", k1), ("conv/bias:0", b1)]),
        ("pool", []),
        ("flatten", []),
        ("dense", [("dense/kernel:0", k2), ("dense/bias:0", b2)]),
    ])
    h = np.maximum(conv2d_valid(x.astype(np.float64), k1, b1), 0.0)               # [2, 6, 6, 4]
    h = h.reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4))                              # [2, 3, 3, 4]
    y = softmax(h.reshape(2, -1) @ k2 + b2)                                       # Keras flattens in HWC order
    golden(os.path.join(OUT, "tiny_functional.golden.json"), x, y)

    # Sequential: Conv2D(5, 3x3, relu) -> GlobalAveragePooling2D -> Dense(2, softmax).
    k3 = rng.normal(0, 0.5, size=(3, 3, 3, 5)).astype(np.float32)
    b3 = rng.normal(0, 0.1, size=(5,)).astype(np.float32)
    k4 = rng.normal(0, 0.5, size=(5, 2)).astype(np.float32)
    b4 = rng.normal(0, 0.1, size=(2,)).astype(np.float32)
    sequential = {"class_name": "Sequential", "config": {"name": "tiny_sequential", "layers": [
        {"class_name": "Conv2D", "config": conv_config("seq_conv", 5, batch_input_shape=[None, 8, 8, 3],
                                                       dtype="float32")},
        {"class_name": "GlobalAveragePooling2D",
         "config": {"name": "gap", "trainable": True, "data_format": "channels_last"}},
        {"class_name": "Dense", "config": dense_config("seq_dense", 2, "softmax")},
    ]}}
    write_h5(os.path.join(OUT, "tiny_sequential.h5"), sequential, [
        ("seq_conv", [("seq_conv/kernel:0", k3), ("seq_conv/bias:0", b3)]),
        ("gap", []),
        ("seq_dense", [("seq_dense/kernel:0", k4), ("seq_dense/bias:0", b4)]),
    ])
    h = np.maximum(conv2d_valid(x.astype(np.float64), k3, b3), 0.0).mean(axis=(1, 2))
    golden(os.path.join(OUT, "tiny_sequential.golden.json"), x, softmax(h @ k4 + b4))

    # A Keras file with a layer type DL4J cannot import.
    unsupported = {"class_name": "Sequential", "config": {"name": "unsupported", "layers": [
        {"class_name": "TransferKitImaginaryLayer",
         "config": {"name": "imaginary", "trainable": True, "batch_input_shape": [None, 8, 8, 3],
                    "dtype": "float32"}},
    ]}}
    write_h5(os.path.join(OUT, "unsupported_layer.h5"), unsupported, [("imaginary", [])])

    # A valid HDF5 file that is not a Keras model.
    with h5py.File(os.path.join(OUT, "not_keras.h5"), "w") as f:
        f.create_dataset("numbers", data=np.arange(4, dtype=np.float32))


if __name__ == "__main__":
    main()
