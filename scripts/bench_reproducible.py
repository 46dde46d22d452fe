#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Reproducible sums against the default ones: runs the repro_* cases of
weft-bench and the dist_repro_* cases of weft-bench-distributed (at 2 ranks)
and prints Markdown tables of median times and ratios for bench/README.md.

    python3 scripts/bench_reproducible.py [build/bench/bench] [--repetitions 7] [--ranks 2]

Each binary runs once, every case repeated (locally interleaved at random,
Google Benchmark's --benchmark_enable_random_interleaving, so that load
from other processes falls on every variant alike); the table shows the
median real time of each case and, per primitive and size, default/weft
(the reproducible sum's speed relative to the default sum: >= 0.8 is the
target for sum and dot, >= 0.5 for the scan) and kokkos/weft.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

NAME = re.compile(r"^(?P<primitive>[a-z_]+)/(?P<variant>[a-z]+)/(?P<n>\d+)(/manual_time)?_median$")
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run(command, env):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(command + [f"--benchmark_out={out.name}", "--benchmark_out_format=json"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return json.load(open(out.name))


def table(title, data):
    medians = defaultdict(dict)
    for b in data["benchmarks"]:
        m = NAME.match(b["name"])
        if m:
            medians[(m["primitive"], int(m["n"]))][m["variant"]] = b["real_time"] * UNITS[b["time_unit"]] * 1e3
    print(f"\n{title}\n")
    print("| case | n | reproducible ms | default ms | hand-written Kokkos ms | default / reproducible | Kokkos / reproducible |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for (primitive, n), v in sorted(medians.items()):
        w, d, k = v.get("weft"), v.get("default"), v.get("kokkos")
        print(f"| {primitive} | 2^{n.bit_length() - 1} | {w:.2f} | {d:.2f} | {k:.2f} | {d / w:.2f} | {k / w:.2f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin", nargs="?", default=str(Path(__file__).resolve().parent.parent / "build/bench/bench"))
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--ranks", type=int, default=2)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("OMP_PROC_BIND", "spread")
    env.setdefault("OMP_PLACES", "threads")
    common = [f"--benchmark_repetitions={args.repetitions}", "--benchmark_report_aggregates_only=true"]
    local = run([f"{args.bin}/weft-bench", "--benchmark_filter=^repro_", "--benchmark_enable_random_interleaving=true"]
                + common, env)
    table(f"Local, {env.get('OMP_NUM_THREADS', str(os.cpu_count()))} OpenMP threads, medians of {args.repetitions}", local)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMP_NUM_THREADS": "1"})
    # Not interleaved at random: every rank must run the cases in one order.
    distributed = run(["mpiexec", "-n", str(args.ranks), f"{args.bin}/weft-bench-distributed",
                       "--benchmark_filter=^dist_repro_"] + common, env)
    table(f"{args.ranks} ranks x 1 thread, slowest rank's time, medians of {args.repetitions}", distributed)


if __name__ == "__main__":
    sys.exit(main())
