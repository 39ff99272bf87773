#!/usr/bin/env python3
"""Exports torchvision CNNs with random weights to ONNX, with PyTorch's outputs, for OnnxGoldenTest.

Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3); no internet.
Usage: export_onnx_goldens.py OUT_DIR SPEC [SPEC ...]
A SPEC is NAME:SIZE:OPSET:MODE:FEATURE, e.g. resnet18:64:13:eval:layer2
  NAME     a torchvision.models function
  SIZE     the input height and width
  OPSET    the ONNX opset to export with
  MODE     eval (torch folds BatchNormalization into Conv, the default users get) or
           preserve (BatchNormalization nodes stay in the graph)
  FEATURE  a dotted module path whose output becomes the second graph output, named "feature"

For each SPEC it writes, in OUT_DIR:
  NAME.onnx           graph input "input" (NCHW), outputs "output" and "feature"
  NAME.input.f32      the input, 2 x 3 x SIZE x SIZE, float32 little-endian, C order
  NAME.output.f32     PyTorch's "output" for it
  NAME.feature.f32    PyTorch's "feature" for it
  NAME.shapes.txt     one line per array: its name and its shape
BatchNorm running statistics and affine parameters are randomised too, so that their import is tested.
"""
import os
import sys

import numpy as np
import torch
import torchvision


class WithFeature(torch.nn.Module):
    """Returns the model's output and the output of one of its modules."""

    def __init__(self, model, feature):
        super().__init__()
        self.model = model
        self.captured = None
        module = model
        for part in feature.split("."):
            module = getattr(module, part)
        module.register_forward_hook(self._capture)

    def _capture(self, module, inputs, output):
        self.captured = output

    def forward(self, x):
        out = self.model(x)
        return out, self.captured


def randomise_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=generator) * 0.1)


def build(name):
    kwargs = {}
    if name in ("inception_v3", "googlenet"):
        kwargs = {"aux_logits": False, "init_weights": False}
    model = getattr(torchvision.models, name)(weights=None, **kwargs)
    if name in ("inception_v3", "googlenet"):
        # Their own initialisation (truncated normal, std 0.1) makes activations grow to ~1e8 over the depth;
        # variance-preserving weights keep the values, and so the comparison, meaningful.
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
    return model


def write(out_dir, name, key, array, shapes):
    array = np.ascontiguousarray(array.detach().numpy().astype("<f4"))
    array.tofile(os.path.join(out_dir, "%s.%s.f32" % (name, key)))
    shapes.append("%s %s" % (key, " ".join(str(d) for d in array.shape)))


def export(out_dir, spec):
    name, size, opset, mode, feature = spec.split(":")
    size, opset = int(size), int(opset)
    generator = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    model = build(name)
    randomise_batch_norms(model, generator)
    model.eval()
    wrapped = WithFeature(model, feature).eval()
    x = torch.randn(2, 3, size, size, generator=generator)
    with torch.no_grad():
        output, feat = wrapped(x)
    training = torch.onnx.TrainingMode.PRESERVE if mode == "preserve" else torch.onnx.TrainingMode.EVAL
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(wrapped, x, path, opset_version=opset, training=training,
                      input_names=["input"], output_names=["output", "feature"],
                      dynamic_axes={"input": {0: "n"}, "output": {0: "n"}, "feature": {0: "n"}})
    shapes = []
    write(out_dir, name, "input", x, shapes)
    write(out_dir, name, "output", output, shapes)
    write(out_dir, name, "feature", feat, shapes)
    with open(os.path.join(out_dir, name + ".shapes.txt"), "w") as f:
        f.write("\n".join(shapes) + "\n")
    print(name, path, flush=True)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for spec in sys.argv[2:]:
        export(out_dir, spec)


if __name__ == "__main__":
    main()
