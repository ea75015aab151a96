#!/usr/bin/env python3
"""Tables for RESULTS.md from bench_conv's JSON (--benchmark_format=json or --benchmark_out):
for every suite and shape, GFLOPS of each implementation, % of the measured peak, the ratios
cnngen / onednn, cnngen / cnngen_auto (the Adams2019 twin) and cnngen / naive where the naive loop
nest ran; then how many shapes meet issue 4's targets for ResNet50 (forward >= 0.9x oneDNN,
backward >= 0.8x; the fused inference forwards, resnet50_infer_fwd, are held to the forward's) and
issue 12's for the course's zoo (lenet5_, alexnet_, vgg16_, inception_: forward >= 0.8x, backward
>= 0.7x). The zoo's rows have no oneDNN benchmark of their own: its GFLOP/s are the pair's.
cnngen / onednn is the cnngen benchmark's vs_onednn counter where it has one (the two called
alternately in one loop: bench_conv's register_paired), else the quotient of the two benchmarks'
GFLOPS.

    python3 benchmarks/compare.py bench_conv.json
"""
import json
import re
import sys
from collections import defaultdict

SUITES = ["course_conv5x5", "course_bottleneck", "resnet50_fwd", "resnet50_bwd_data", "resnet50_bwd_weights",
          "resnet50_infer_fwd"]
ZOO = ["lenet5", "alexnet", "vgg16", "inception"]


def target(suite):
    """(what the target counts, the ratio to oneDNN it asks for), or None."""
    model, _, kind = suite.partition("_")
    if model == "resnet50":
        return f"resnet50 {kind}", 0.9 if kind.endswith("fwd") else 0.8
    if model in ZOO:
        return f"{model} {kind}", 0.8 if kind.endswith("fwd") else 0.7
    return None


def row_order(key):
    """Course layers first; then ResNet50's shapes from the stem to stage 5, each shape's passes
    together (random interleaving leaves the JSON in a shuffled order)."""
    suite, shape = key
    m = re.match(r"conv(\d+)x\d+s(\d+)\w*?_(\d+)x(\d+)x(\d+)_to(\d+)", shape)
    geometry = (-int(m[3]), int(m[5]), int(m[6]), int(m[2]), int(m[1])) if m else ()
    rank = SUITES.index(suite) if suite in SUITES else len(SUITES)
    model = suite.partition("_")[0]
    if model in ZOO:
        return (2, ZOO.index(model), suite, shape)
    return (0, rank, shape) if suite.startswith("course") else (1, geometry, rank, shape)


def main(path):
    with open(path) as f:
        data = json.load(f)
    rows = defaultdict(dict)  # (suite, shape) -> impl -> (gflops, pct) or None when it failed
    peak = None
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = re.sub(r"/(real|manual)_time(_median)?$", "", b["name"])
        parts = name.split("/")
        if parts[0] == "peak":
            peak = b["GFLOPS"]
            continue
        suite, impl, shape = parts[0], parts[1], "/".join(parts[2:])
        rows[(suite, shape)][impl] = None if b.get("error_occurred") else (b["GFLOPS"], b.get("pct_peak", 0), b.get("vs_onednn"))
    print(f"Measured peak: {peak:.1f} GFLOP/s per core\n" if peak else "")
    print("| suite | shape | cnngen GFLOP/s (% peak) | Adams2019 twin | oneDNN | naive | cnngen / oneDNN | cnngen / twin | cnngen / naive |")
    print("|---|---|---|---|---|---|---|---|---|")
    met = defaultdict(lambda: [0, 0])  # pass -> [meeting the target, shapes]
    for (suite, shape), impls in sorted(rows.items(), key=lambda item: row_order(item[0])):
        c, o, a, n = (impls.get(k) for k in ("cnngen", "onednn", "cnngen_auto", "naive"))
        twin = "failed" if "cnngen_auto" in impls and a is None else (f"{a[0]:.1f}" if a else "")
        vs_onednn = c[2] if c[2] is not None else c[0] / o[0]
        onednn = o[0] if o else c[0] / vs_onednn
        print(f"| {suite} | {shape} | {c[0]:.1f} ({c[1]:.0f}%) | {twin} | {onednn:.1f} | {f'{n[0]:.2f}' if n else ''} | "
              f"{vs_onednn:.2f}x | {f'{c[0] / a[0]:.1f}x' if a else ''} | {f'{c[0] / n[0]:.0f}x' if n else ''} |")
        if target(suite):
            what, ratio = target(suite)
            met[(what, ratio)][0] += vs_onednn >= ratio
            met[(what, ratio)][1] += 1
    print()
    for (what, ratio), (ok, total) in met.items():
        print(f"- {what}: {ok} of {total} shapes at or above {ratio}x oneDNN")


if __name__ == "__main__":
    main(sys.argv[1])
