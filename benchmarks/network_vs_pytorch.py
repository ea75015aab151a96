#!/usr/bin/env python3
"""bench_network against peer_pytorch.py, alternating, several rounds, and the medians.

This VM's speed drifts by up to ~30% over minutes, so one run of each program an hour apart says
little; alternating them and taking each case's median over the rounds compares them under the
same conditions. Prints RESULTS.md's table: images per second per case (median, and the range),
the ratio of the medians, and the peak resident memory of each program (both measure their whole
process, whose largest case is training at batch 32).

    /usr/bin/python3 benchmarks/network_vs_pytorch.py [--rounds 3] [--bench build/bin/bench_network]

Needs Debian's python3-torch for the peer (the optional one; nothing else does).
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_cnngen(bench):
    out = subprocess.run([bench, "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    rates, rss = {}, 0.0
    for b in json.loads(out)["benchmarks"]:
        m = re.match(r"resnet50_(train|infer)/cnngen/n:(\d+)/t:(\d+)", b["name"])
        if m:
            rates[f"{m[1]} n{m[2]} t{m[3]}"] = b["img_per_s"]
            rss = max(rss, b["peak_rss_MiB"])
    return rates, rss


def run_pytorch(seconds):
    out = subprocess.run(["/usr/bin/python3", str(HERE / "peer_pytorch.py"), "--seconds", str(seconds)],
                         check=True, capture_output=True, text=True).stdout
    rates, rss = {}, 0.0
    for line in out.splitlines():
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
    a = p.parse_args()
    ours, theirs = defaultdict(list), defaultdict(list)
    our_rss, their_rss = [], []
    for r in range(a.rounds):
        for name, runner, rates, rss in (("cnngen", lambda: run_cnngen(a.bench), ours, our_rss),
                                         ("pytorch", lambda: run_pytorch(a.seconds), theirs, their_rss)):
            print(f"round {r + 1}/{a.rounds}: {name}", file=sys.stderr, flush=True)
            got, peak = runner()
            for case, v in got.items():
                rates[case].append(v)
            rss.append(peak)
    print("| case | cnngen img/s (range) | PyTorch img/s (range) | cnngen / PyTorch |")
    print("|---|---|---|---|")
    for case in ours:
        o, t = ours[case], theirs.get(case, [])
        if not t:
            continue
        mo, mt = statistics.median(o), statistics.median(t)
        print(f"| {case} | {mo:.1f} ({min(o):.1f}-{max(o):.1f}) | {mt:.1f} ({min(t):.1f}-{max(t):.1f}) | {mo / mt:.2f}x |")
    print(f"\nPeak resident memory (MiB, per round): cnngen {', '.join(f'{v:.0f}' for v in our_rss)}; "
          f"PyTorch {', '.join(f'{v:.0f}' for v in their_rss)}")


if __name__ == "__main__":
    main()
