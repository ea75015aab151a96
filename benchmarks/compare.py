#!/usr/bin/env python3
"""Tables for RESULTS.md from bench_conv's JSON (--benchmark_format=json or --benchmark_out):
for every suite and shape, GFLOPS of each implementation, % of the measured peak, and the
ratio cnngen / onednn (and cnngen / naive where the naive loop nest ran).

    python3 benchmarks/compare.py bench_conv.json
"""
import json
import sys
from collections import defaultdict


def main(path):
    with open(path) as f:
        data = json.load(f)
    rows = defaultdict(dict)  # (suite, shape) -> impl -> (gflops, pct)
    peak = None
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b["name"].replace("/real_time", "").replace("_median", "")
        parts = name.split("/")
        if parts[0] == "peak":
            peak = b["GFLOPS"]
            continue
        suite, impl, shape = parts[0], parts[1], "/".join(parts[2:])
        rows[(suite, shape)][impl] = (b["GFLOPS"], b.get("pct_peak", 0))
    print(f"Measured peak: {peak:.1f} GFLOP/s per core\n" if peak else "")
    print("| suite | shape | cnngen GFLOP/s (% peak) | oneDNN GFLOP/s | naive GFLOP/s | cnngen / oneDNN | cnngen / naive |")
    print("|---|---|---|---|---|---|---|")
    for (suite, shape), impls in rows.items():
        c = impls.get("cnngen", (0, 0))
        o = impls.get("onednn", (0, 0))
        n = impls.get("naive")
        print(f"| {suite} | {shape} | {c[0]:.1f} ({c[1]:.0f}%) | {o[0]:.1f} | {f'{n[0]:.2f}' if n else ''} | "
              f"{c[0] / o[0]:.2f}x | {f'{c[0] / n[0]:.0f}x' if n else ''} |")


if __name__ == "__main__":
    main(sys.argv[1])
