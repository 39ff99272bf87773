#!/usr/bin/env python3
"""PyTorch peer of InferenceBench: torchvision's forward pass, random weights, eval mode, no_grad.

Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).
Usage: torch_peer.py NAME [BATCH=16] [THREADS=2]   NAME: vgg16, resnet50, mobilenet_v2, inception_v3 (299x299)
Prints "NAME batch=B median X img/s best Y img/s threads=T": the median of 5 timed runs after 2 warm-up runs.
"""
import sys
import time

import torch
import torchvision


def main():
    name = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    kwargs = {"aux_logits": False, "init_weights": False} if name == "inception_v3" else {}
    model = getattr(torchvision.models, name)(**kwargs).eval()
    size = 299 if name == "inception_v3" else 224
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        for _ in range(2):
            model(x)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    times.sort()
    print(f"{name} batch={batch} median {batch / times[2]:.2f} img/s best {batch / times[0]:.2f} img/s "
          f"threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
