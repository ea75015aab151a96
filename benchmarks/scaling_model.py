#!/usr/bin/env python3
"""The data-parallel scaling model of benchmarks/RESULTS.md, from measured inputs.

Weak scaling: every machine keeps a batch of b samples, so N machines train a global batch of N b.
  compute(b)   = b * per_sample                  (measured: bench_distributed's 1-process step / 32)
  allreduce(N) = 2 (N - 1) / N * bytes / bandwidth  (ring allreduce: each machine sends and receives
                                                     2 (N-1)/N of the gradient bytes)
  step(N, b)   = compute(b) + (1 - hidden) * allreduce(N)
  efficiency   = compute(b) / step(N, b)
The latency term of the ring (2 (N - 1) messages) is left out: at tens of microseconds per message it
is a few milliseconds at N = 64, against tens to hundreds of milliseconds of transfer.

usage: scaling_model.py --step-ms 270 --batch 32 --bandwidth-gbit 25 [--hidden 0] [--target 0.9]
"""
import argparse
import math

GRADIENT_BYTES = 23_546_886 * 4  # ResNet50's trainable parameters, float32


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--step-ms", type=float, required=True, help="measured step of one machine at --batch")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bandwidth-gbit", type=float, required=True, help="what the allreduce moves per second and machine")
    p.add_argument("--hidden", type=float, default=0.0, help="share of the allreduce the overlap hides (measured)")
    p.add_argument("--target", type=float, default=0.9, help="the efficiency asked for")
    a = p.parse_args()
    per_sample = a.step_ms / a.batch
    bandwidth = a.bandwidth_gbit * 1e9 / 8  # bytes/s

    def allreduce_ms(n):
        return 1e3 * 2 * (n - 1) / n * GRADIENT_BYTES / bandwidth

    print(f"inputs: {per_sample:.2f} ms per sample, {a.bandwidth_gbit:g} Gbit/s, hidden {a.hidden:.0%}, "
          f"gradients {GRADIENT_BYTES / 1e6:.1f} MB")
    print("| machines | allreduce ms | step ms at b=%d | efficiency | b for %.0f%% | global batch |" % (a.batch, 100 * a.target))
    print("|---|---|---|---|---|---|")
    for n in (2, 4, 8, 16, 32, 64):
        exposed = (1 - a.hidden) * allreduce_ms(n)
        step = a.batch * per_sample + exposed
        # compute / (compute + exposed) >= target  <=>  b >= target / (1 - target) * exposed / per_sample
        need = math.ceil(a.target / (1 - a.target) * exposed / per_sample)
        print(f"| {n} | {allreduce_ms(n):.0f} | {step:.0f} | {a.batch * per_sample / step:.0%} | {need} | {n * need} |")


if __name__ == "__main__":
    main()
