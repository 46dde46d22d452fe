#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Run weft-bench-distributed's checkpoint I/O cases (io2d, io3d) at several
rank counts and write bench/results/io.md.

    python3 scripts/bench_io.py [build/bench/bench/weft-bench-distributed] [--ranks 1,2] [--dir DIR]

Runs exactly as scripts/bench_distributed.py does (--runs runs per rank count,
cores shared out among the ranks, the median over runs of each run's median),
with --benchmark_filter=^io and the files in --dir (default build/bench/io-files,
on the disk the build is on; WEFT_BENCH_DIR for the binary). Bandwidth = bytes
of the grid / time of the slowest rank; "x raw" = weft's bandwidth / raw MPI-IO's
(write: save against raw_write, checkpoint_sync against raw_write_sync; read:
load against raw_read). Raw JSON: bench/results/io-<ranks>.json (git-ignored).
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as local_bench  # noqa: E402
import bench_distributed as dist  # noqa: E402
import bench_plots  # noqa: E402

VARIANTS = [("save", "raw_write"), ("checkpoint", "raw_write"), ("checkpoint_sync", "raw_write_sync"),
            ("load", "raw_read")]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary", nargs="?", default=str(dist.DEFAULT_BINARY))
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.1)
    p.add_argument("--mpiexec", default="mpiexec")
    p.add_argument("--dir", default=str(dist.ROOT / "build" / "bench" / "io-files"))
    p.add_argument("--out-dir", default=str(dist.ROOT / "bench" / "results"))
    p.add_argument("--from-json", nargs="*", default=None)
    args = p.parse_args()
    args.filter = "^io"
    return args


def table(runs):
    lines = ["| grid | MiB | ranks | variant | weft GB/s | raw | raw GB/s | x raw |", "|---|--:|--:|---|--:|---|--:|--:|"]
    for primitive in ("io2d", "io3d"):
        for n in sorted({n for _, t in runs for (p, n) in t if p == primitive}):
            for ranks, t in runs:
                cases = t.get((primitive, n))
                if not cases:
                    continue
                for variant, raw in VARIANTS:
                    if variant not in cases or raw not in cases:
                        continue
                    b = cases[variant]["bytes"]
                    w, r = b / cases[variant]["s"] / 1e9, b / cases[raw]["s"] / 1e9
                    shape = f"{n}^{2 if primitive == 'io2d' else 3}"
                    mark = "" if w / r >= 0.8 else " **(< 0.8)**"
                    lines.append(f"| {shape} | {b / 2**20:.0f} | {ranks} | {variant} | {w:.2f} | {raw} | {r:.2f} | "
                                 f"{w / r:.2f}{mark} |")
    return "\n".join(lines)


def where(directory):
    path = Path(directory).resolve()
    try:
        return str(path.relative_to(dist.ROOT))
    except ValueError:
        return str(path)


def main():
    args = parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        datas = [json.loads(Path(f).read_text()) for f in args.from_json]
    else:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
        os.environ["WEFT_BENCH_DIR"] = args.dir
        datas = []
        for ranks in (int(r) for r in args.ranks.split(",")):
            data = local_bench.run_several(lambda: dist.run(args, ranks), args.runs)
            (out_dir / f"io-{ranks}.json").write_text(json.dumps(data, indent=1) + "\n")
            datas.append(data)
    runs = [(int(d["context"].get("mpi_ranks", 0)), dist.medians(d)) for d in datas]
    header = dist.header(datas).replace("# weft distributed benchmarks", "# weft checkpoint I/O benchmarks")
    header = header[:header.index("Times are per call")] + ("Times are per call (open, transfer, close), of the "
                                                             "slowest rank, medians; GB/s = bytes of the grid / time.\n")
    text = (header +
            f"\nFiles in {where(args.dir)}.\n\n" + table(runs) + "\n")
    path = out_dir / "io.md"
    path.write_text(text)
    picture = bench_plots.plot_io(path, out_dir / "io.png")
    print(text)
    print(f"bench_io.py: wrote {path}" + (f" and {picture}" if picture else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
