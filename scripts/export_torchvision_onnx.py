#!/usr/bin/env python3
"""Exports torchvision CNNs with random weights to ONNX, for the plain ONNX Runtime peer of InferenceBench.

Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).
Usage: export_torchvision_onnx.py OUT_DIR [NAME ...]   (default: vgg16 resnet50 mobilenet_v2 inception_v3)
Input "input", NCHW float32 with a dynamic batch dimension, 224x224 (299x299 for inception_v3); output "output".
Prints one line per model: NAME PATH. Files that already exist are kept.
With internet, torchvision.models.NAME(weights="DEFAULT") would give the ImageNet weights instead.
"""
import os
import sys

import torch
import torchvision


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or ["vgg16", "resnet50", "mobilenet_v2", "inception_v3"]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in names:
        path = os.path.join(out, name + ".onnx")
        if not os.path.exists(path):
            kwargs = {"aux_logits": False, "init_weights": False} if name == "inception_v3" else {}
            model = getattr(torchvision.models, name)(**kwargs).eval()
            size = 299 if name == "inception_v3" else 224
            tmp = path + ".part"
            torch.onnx.export(model, torch.randn(1, 3, size, size), tmp, opset_version=13,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "n"}, "output": {0: "n"}})
            os.replace(tmp, path)
        print(name, path)


if __name__ == "__main__":
    main()
