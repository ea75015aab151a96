#!/usr/bin/python3
"""The peer of bench_network: the course's ResNet50 (64x64x3, 6 classes) in Debian's PyTorch
(python3-torch 1.13, oneDNN backend), timed the same way: a training step (forward, cross-entropy,
backward, Adam) and inference, images per second, at batch 32 and 1, on the given thread counts;
and the process's peak resident memory. Optional: nothing in the build or the tests needs it.

    /usr/bin/python3 benchmarks/peer_pytorch.py [--threads 1 2] [--seconds 5] [--memory-format channels_last]

(Debian's python, where `scripts/setup.sh --peers` installs python3-torch and OpenBLAS.) The
model and its inputs are in the given memory format (NCHW or channels_last); the comparison
script runs both and keeps the faster. Prints its configuration, then one line per case, named
like bench_network's: resnet50_train/pytorch/n32_t1 img_per_s=...
"""
import argparse
import resource
import time
from pathlib import Path

import torch
from torch import nn


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, s, pad, relu):
        layers = [nn.Conv2d(cin, cout, k, s, pad), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)]
        if relu:
            layers.append(nn.ReLU())
        super().__init__(*layers)


class Block(nn.Module):
    """The course's identity_block (shortcut None) and convolutional_block (1x1 shortcut, stride s)."""

    def __init__(self, cin, f, filters, s, projection):
        super().__init__()
        f1, f2, f3 = filters
        self.main = nn.Sequential(ConvBN(cin, f1, 1, s, 0, True), ConvBN(f1, f2, f, 1, f // 2, True),
                                  ConvBN(f2, f3, 1, 1, 0, False))
        self.shortcut = ConvBN(cin, f3, 1, s, 0, False) if projection else nn.Identity()

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet50(classes=6):
    stages = [(64, [64, 64, 256], 1, 2), (256, [128, 128, 512], 2, 3), (512, [256, 256, 1024], 2, 5),
              (1024, [512, 512, 2048], 2, 2)]
    layers = [nn.ZeroPad2d(3), ConvBN(3, 64, 7, 2, 0, True), nn.MaxPool2d(3, 2)]
    for cin, filters, s, identities in stages:
        layers.append(Block(cin, 3, filters, s, True))
        layers += [Block(filters[2], 3, filters, 1, False) for _ in range(identities)]
    layers += [nn.AvgPool2d(2, 2), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)


def blas_library():
    """The BLAS this process loaded (libblas.so.3 is Debian's alternative: OpenBLAS or the reference)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and "/" in line}
    return ",".join(sorted(Path(p).resolve().as_posix() for p in paths)) or "none"


def measure(step, n, seconds):
    step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        done += n
    return done / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--memory-format", choices=["nchw", "channels_last"], default="nchw")
    args = parser.parse_args()
    layout = torch.channels_last if args.memory_format == "channels_last" else torch.contiguous_format
    print(f"config torch={torch.__version__} memory_format={args.memory_format} "
          f"blas={blas_library()} mkldnn={torch.backends.mkldnn.is_available()}", flush=True)
    torch.manual_seed(0)
    model = resnet50().to(memory_format=layout)
    assert sum(p.numel() for p in model.parameters()) == 23_546_886, "not the course's ResNet50"
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    for threads in args.threads:
        torch.set_num_threads(threads)
        for n in (32, 1):
            x, y = torch.rand(n, 3, 64, 64).contiguous(memory_format=layout), torch.arange(n) % 6

            def train_step():
                model.train()
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()

            def infer():
                model.eval()
                with torch.no_grad():
                    model(x)

            for name, step in (("train", train_step), ("infer", infer)):
                rate = measure(step, n, args.seconds)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"resnet50_{name}/pytorch/n{n}_t{threads} img_per_s={rate:.2f} peak_rss_MiB={rss:.0f}", flush=True)


if __name__ == "__main__":
    main()
