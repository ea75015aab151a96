#!/usr/bin/env python3
"""bench_network against peer_pytorch.py, alternating, several rounds, and the medians.

This VM's speed drifts by up to ~30% over minutes, so one run of each program an hour apart says
little; alternating them and taking each case's median over the rounds compares them under the
same conditions. Prints RESULTS.md's table: images per second per case (median, and the range),
the ratio of the medians, and the peak resident memory of each program (both measure their whole
process, whose largest case is training at batch 32).

    /usr/bin/python3 benchmarks/network_vs_pytorch.py [--rounds 3] [--bench build/bin/bench_network] [--isa avx2]

The peer runs as its users would run it: Debian's PyTorch on OpenBLAS (`scripts/setup.sh --peers`;
the reference BLAS is refused), in both memory formats (NCHW and channels_last, the faster kept
per case), and without this environment's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which are removed
from the peer's command only.

--isa avx2 (or sse41) limits both alike: cnngen's kernels through CNNGEN_MAX_ISA, PyTorch's own
kernels through ATEN_CPU_CAPABILITY and the oneDNN inside it through DNNL_MAX_CPU_ISA.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


# What --isa sets for each program (ATEN_CPU_CAPABILITY has no SSE4.1 level: 'default' is its baseline).
ISA_ENV = {
    "avx512": ({}, {}),
    "avx2": ({"CNNGEN_MAX_ISA": "avx2"}, {"ATEN_CPU_CAPABILITY": "avx2", "DNNL_MAX_CPU_ISA": "AVX2"}),
    "sse41": ({"CNNGEN_MAX_ISA": "sse41"}, {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "SSE41"}),
}


def run_cnngen(bench, isa):
    out = subprocess.run([bench, "--benchmark_format=json"], check=True, capture_output=True, text=True,
                         env={**os.environ, **ISA_ENV[isa][0]}).stdout
    rates, rss = {}, 0.0
    for b in json.loads(out)["benchmarks"]:
        m = re.match(r"resnet50_(train|infer)/cnngen/n:(\d+)/t:(\d+)", b["name"])
        if m:
            rates[f"{m[1]} n{m[2]} t{m[3]}"] = b["img_per_s"]
            rss = max(rss, b["peak_rss_MiB"])
    return rates, rss


LAYOUTS = ("nchw", "channels_last")
PEER_ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def run_pytorch(seconds, layout, isa):
    out = subprocess.run(["/usr/bin/python3", str(HERE / "peer_pytorch.py"), "--seconds", str(seconds),
                          "--memory-format", layout], check=True, capture_output=True, text=True,
                         env={**PEER_ENV, **ISA_ENV[isa][1]}).stdout
    rates, rss = {}, 0.0
    for line in out.splitlines():
        if line.startswith("config "):
            if "openblas" not in line:
                sys.exit(f"the PyTorch peer is not on OpenBLAS ({line}): run scripts/setup.sh --peers")
            print(line, file=sys.stderr, flush=True)
        m = re.match(r"resnet50_(train|infer)/pytorch/n(\d+)_t(\d+) img_per_s=([\d.]+) peak_rss_MiB=([\d.]+)", line)
        if m:
            rates[f"{m[1]} n{m[2]} t{m[3]}"] = float(m[4])
            rss = max(rss, float(m[5]))
    return rates, rss


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bench", default="build/bin/bench_network")
    p.add_argument("--seconds", type=float, default=4.0, help="per PyTorch case")
    p.add_argument("--isa", choices=sorted(ISA_ENV), default="avx512", help="the widest instruction set both may use")
    a = p.parse_args()
    print(f"instruction set: {a.isa}; cnngen {ISA_ENV[a.isa][0] or 'as is'}; PyTorch {ISA_ENV[a.isa][1] or 'as is'}",
          file=sys.stderr, flush=True)
    ours = defaultdict(list)
    theirs = {layout: defaultdict(list) for layout in LAYOUTS}
    our_rss, their_rss = [], []
    for r in range(a.rounds):
        runs = [("cnngen", lambda: run_cnngen(a.bench, a.isa), ours, our_rss)]
        runs += [(f"pytorch {layout}", lambda layout=layout: run_pytorch(a.seconds, layout, a.isa), theirs[layout], their_rss)
                 for layout in LAYOUTS]
        for name, runner, rates, rss in runs:
            print(f"round {r + 1}/{a.rounds}: {name}", file=sys.stderr, flush=True)
            got, peak = runner()
            for case, v in got.items():
                rates[case].append(v)
            rss.append(peak)
    print("| case | cnngen img/s (range) | PyTorch img/s (range), faster layout | other layout | cnngen / PyTorch |")
    print("|---|---|---|---|---|")
    for case in ours:
        if not all(theirs[layout].get(case) for layout in LAYOUTS):
            continue
        o = ours[case]
        best, other = sorted(LAYOUTS, key=lambda layout: -statistics.median(theirs[layout][case]))
        t, u = theirs[best][case], theirs[other][case]
        mo, mt = statistics.median(o), statistics.median(t)
        print(f"| {case} | {mo:.1f} ({min(o):.1f}-{max(o):.1f}) | {mt:.1f} ({min(t):.1f}-{max(t):.1f}), {best} | "
              f"{statistics.median(u):.1f}, {other} | {mo / mt:.2f}x |")
    print(f"\nPeak resident memory (MiB, per round): cnngen {', '.join(f'{v:.0f}' for v in our_rss)}; "
          f"PyTorch {', '.join(f'{v:.0f}' for v in their_rss)}")


if __name__ == "__main__":
    main()
