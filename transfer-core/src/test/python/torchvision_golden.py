#!/usr/bin/env python3
"""Exports a torchvision CNN with random weights to ONNX and records PyTorch's outputs, for TransferKit's golden tests.

Usage: torchvision_golden.py OUT_DIR NAME SIZE MODULE [OPSET]
  NAME    a torchvision.models constructor, e.g. resnet50
  SIZE    input height and width
  MODULE  a sub-module whose output is the intermediate reference, e.g. layer3.5 (its ONNX tensor is the last output
          of the nodes named /layer3/layer3.5/...)
Writes OUT_DIR/NAME.onnx (input "input" NCHW float32, dynamic batch; output "output"), NAME.input.bin (2 images),
NAME.output.bin, NAME.inter.bin (float32 little-endian, C order) and NAME.json (shapes and the intermediate tensor's
name). Files that already exist are kept. Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision


def main():
    out, name, size, module = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    opset = int(sys.argv[5]) if len(sys.argv) > 5 else 13
    os.makedirs(out, exist_ok=True)
    meta_path = os.path.join(out, name + ".json")
    if os.path.exists(meta_path):
        print(meta_path)
        return
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("inception_v3", "googlenet") else {}
    model = getattr(torchvision.models, name)(**kwargs).eval()
    with torch.no_grad():
        # Random running statistics, so that batch normalisation is not the identity it is after initialisation.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    x = torch.randn(2, 3, size, size)
    captured = {}

    def hook(m, i, o):
        captured["inter"] = o  # returns None: the module's output stays as it is

    handle = dict(model.named_modules())[module].register_forward_hook(hook)
    with torch.no_grad():
        y = model(x)
    handle.remove()
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, x, path + ".part", opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "n"}, "output": {0: "n"}})
    os.replace(path + ".part", path)
    # torch names scopes by attribute for named children (/features/denseblock3/) and by qualified name for numbered
    # ones (/layer3/layer3.5/).
    parts = module.split(".")
    scopes = ("/" + "/".join(parts) + "/", "/" + "/".join(parts[:1] + [module]) + "/")
    tensor = [n.output[0] for n in onnx.load(path, load_external_data=False).graph.node if n.name.startswith(scopes)][-1]
    for suffix, t in (("input", x), ("output", y), ("inter", captured["inter"])):
        t.detach().numpy().astype("<f4").tofile(os.path.join(out, name + "." + suffix + ".bin"))
    meta = {"size": size, "module": module, "tensor": tensor, "opset": opset,
            "output_shape": list(y.shape), "inter_shape": list(captured["inter"].shape)}
    with open(meta_path + ".part", "w") as f:
        json.dump(meta, f)
    os.replace(meta_path + ".part", meta_path)
    print(meta_path)


if __name__ == "__main__":
    main()
