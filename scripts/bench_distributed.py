#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Run weft-bench-distributed at several rank counts and write bench/results/distributed.md.

    python3 scripts/bench_distributed.py [build/bench/bench/weft-bench-distributed] [--ranks 1,2]

Each rank count runs --runs times under mpiexec with the machine's cores shared out:
OMP_NUM_THREADS = cores / ranks (at least 1), so every run uses the same
hardware and the rank counts compare as strong scaling. Every case is timed
as the slowest rank's time per call (the binary does that); the table takes,
per case, the median over runs of each run's MEDIAN of --repetitions repetitions. The file has three tables:

  vector algorithms   dot product, scan, 1-D stencil: weft against the same
                      work written by hand with Kokkos kernels and MPI calls
  halo exchange       1-D exchange of g ghosts per side, weft against two
                      MPI_Sendrecv; a least-squares fit of time = alpha + bytes / beta
  grid stencils       2-D 5-point and 3-D 7-point stencils: the overlapped
                      weft::stencil, exchange then compute, each part alone;
                      the halo's share of a step and how much of it the overlap hides

The raw JSON of each run goes to bench/results/distributed-<ranks>.json
(git-ignored). As root, Open MPI's allow-run-as-root variables are set;
oversubscription is allowed when ranks exceed cores; each rank is bound to
its own cores (Open MPI: --map-by slot:PE=<threads> --bind-to core).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as local_bench  # noqa: E402  (machine description, byte formatting)
import bench_plots  # noqa: E402

DEFAULT_BINARY = ROOT / "build" / "bench" / "bench" / "weft-bench-distributed"
NAME = re.compile(r"^(?P<primitive>[a-z0-9_]+)/(?P<variant>[a-z_]+)/(?P<n>\d+)(/manual_time)?$")
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
VECTOR_PRIMITIVES = ("dist_dot", "dist_scan", "dist_stencil1d")
GRID_PRIMITIVES = ("dist_stencil2d", "dist_stencil3d")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary", nargs="?", default=str(DEFAULT_BINARY))
    p.add_argument("--ranks", default="1,2", help="rank counts, comma-separated (default: %(default)s)")
    p.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)),
                   help="cores to share among the ranks of each run (default: those this process may use)")
    p.add_argument("--runs", type=int, default=3, help="runs per rank count; the median over runs is reported")
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.05)
    p.add_argument("--filter", default=None, help="--benchmark_filter regex")
    p.add_argument("--mpiexec", default="mpiexec")
    p.add_argument("--out-dir", default=str(ROOT / "bench" / "results"))
    p.add_argument("--from-json", nargs="*", default=None,
                   help="do not run: read these saved JSON files (one per rank count)")
    return p.parse_args()


def is_open_mpi(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "Open MPI" in out or "OpenRTE" in out


def run(args, ranks):
    binary = Path(args.binary)
    if not binary.is_file():
        sys.exit(f"bench_distributed.py: no binary at {binary}; build it first "
                 "(cmake --preset bench && cmake --build --preset bench)")
    env = dict(os.environ)
    threads = max(1, args.cores // ranks)
    env["OMP_NUM_THREADS"] = str(threads)
    env.setdefault("OMP_PROC_BIND", "spread")
    env.setdefault("OMP_PLACES", "threads")
    binding = []
    if is_open_mpi(args.mpiexec):
        if os.geteuid() == 0:
            env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        if ranks > args.cores:
            env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
            binding = ["--bind-to", "none"]
        else:
            # Each rank gets its own `threads` cores (Open MPI's default binds
            # a rank to one core, where all its threads would then share it).
            binding = ["--map-by", f"slot:PE={threads}", "--bind-to", "core"]
    command = [args.mpiexec, "-n", str(ranks), *binding, str(binary), "--benchmark_format=json",
               f"--benchmark_repetitions={args.repetitions}", "--benchmark_report_aggregates_only=true",
               f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        command.append(f"--benchmark_filter={args.filter}")
    print(f"bench_distributed.py: OMP_NUM_THREADS={threads} OMP_PROC_BIND={env['OMP_PROC_BIND']} "
          + " ".join(command), file=sys.stderr)
    load_before = local_bench.load_average()
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"bench_distributed.py: the run at {ranks} ranks failed ({result.returncode})")
    data = json.loads(result.stdout[result.stdout.index("{"):])
    data.setdefault("context", {})["weft_bench_py"] = {
        "runtime_s": seconds, "load_before": load_before, "load_after": local_bench.load_average(),
        "ranks": ranks, "threads_per_rank": threads, "repetitions": args.repetitions,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(command),
        "env": {k: env[k] for k in ("OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES")},
    }
    return data


def medians(data):
    """{(primitive, n): {variant: {"s": seconds, "messages": .., "bytes": ..}}}: per case,
    the median over the runs of each run's median aggregate."""
    times = defaultdict(list)
    counters = {}
    for b in data["benchmarks"]:
        m = NAME.match(b.get("run_name", b["name"]))
        if not m or b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        key = (m["primitive"], int(m["n"]), m["variant"])
        times[key].append(b["real_time"] * TIME_UNITS[b.get("time_unit", "ns")])
        counters[key] = (b.get("messages", 0), b.get("bytes", 0))
    table = defaultdict(dict)
    for (primitive, n, variant), values in times.items():
        messages, bytes_ = counters[(primitive, n, variant)]
        table[(primitive, n)][variant] = {"s": local_bench.median(values), "messages": messages, "bytes": bytes_}
    return table


def us(entry):
    return "—" if not entry else f"{entry['s'] * 1e6:,.1f}"


def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}"


def vector_table(runs):
    lines = ["| primitive | n | ranks | weft µs | Kokkos+MPI µs | speed weft/hand | messages | bytes/call |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for primitive in VECTOR_PRIMITIVES:
        for n in sorted({n for ranks, t in runs for (p, n) in t if p == primitive}):
            for ranks, t in runs:
                cases = t.get((primitive, n))
                if not cases:
                    continue
                w, k = cases.get("weft"), cases.get("kokkos")
                lines.append(f"| {primitive} | {n} | {ranks} | {us(w)} | {us(k)} | "
                             f"{ratio(k and k['s'], w and w['s'])} | {w['messages']:.0f} | {w['bytes']:.0f} |")
    return "\n".join(lines)


def fit(points):
    """time = alpha + bytes / beta over (bytes, seconds), least squares in relative error
    (weights 1/time^2: small and large messages count alike); (alpha s, beta B/s)."""
    if len(points) < 2:
        return None
    w = [1 / (y * y) for _, y in points]
    s = sum(w)
    sx = sum(wi * x for wi, (x, _) in zip(w, points))
    sy = sum(wi * y for wi, (_, y) in zip(w, points))
    sxx = sum(wi * x * x for wi, (x, _) in zip(w, points))
    sxy = sum(wi * x * y for wi, (x, y) in zip(w, points))
    det = s * sxx - sx * sx
    if det <= 0:
        return None
    slope = (s * sxy - sx * sy) / det
    return (sy - slope * sx) / s, (1 / slope if slope > 0 else float("inf"))


def halo_table(runs):
    lines = ["| ghosts per side | ranks | bytes/call (weft) | weft µs | 2 x MPI_Sendrecv µs | speed weft/MPI |",
             "|--:|--:|--:|--:|--:|--:|"]
    fits = []
    for g in sorted({n for _, t in runs for (p, n) in t if p == "halo1d"}):
        for ranks, t in runs:
            cases = t.get(("halo1d", g))
            if not cases:
                continue
            w, m = cases.get("weft"), cases.get("mpi")
            lines.append(f"| {g} | {ranks} | {local_bench.human_bytes(w['bytes'])} | {us(w)} | {us(m)} | "
                         f"{ratio(m and m['s'], w and w['s'])} |")
    for ranks, t in runs:
        if ranks < 2:
            continue
        for variant in ("weft", "mpi"):
            # bytes both ways per call: the same for both variants (2 g doubles each way)
            points = [(16.0 * g, c[variant]["s"]) for (p, g), c in t.items() if p == "halo1d" and variant in c]
            f = fit(sorted(points))
            if f:
                fits.append(f"- {ranks} ranks, {variant}: alpha = {f[0] * 1e6:.2f} µs, "
                            f"beta = {f[1] / 1e9:.2f} GB/s (time = alpha + bytes sent / beta)")
    return "\n".join(lines), "\n".join(fits)


def grid_table(runs):
    lines = ["| primitive | n | ranks | weft µs | no_overlap µs | exchange µs | compute µs | speed weft/no_overlap | "
             "halo share | hidden by overlap | messages | bytes/call |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for primitive in GRID_PRIMITIVES:
        for n in sorted({n for _, t in runs for (p, n) in t if p == primitive}):
            for ranks, t in runs:
                c = t.get((primitive, n))
                if not c or not all(v in c for v in ("weft", "no_overlap", "exchange", "compute")):
                    continue
                share = c["exchange"]["s"] / c["no_overlap"]["s"]
                hidden = (c["no_overlap"]["s"] - c["weft"]["s"]) / c["exchange"]["s"]
                # Below a few per cent of a step the difference is within the noise.
                hidden_text = f"{hidden:.0%}" if share >= 0.05 else "(halo < 5 %)"
                lines.append(f"| {primitive} | {n} | {ranks} | {us(c['weft'])} | {us(c['no_overlap'])} | "
                             f"{us(c['exchange'])} | {us(c['compute'])} | "
                             f"{ratio(c['no_overlap']['s'], c['weft']['s'])} | {share:.1%} | {hidden_text} | "
                             f"{c['weft']['messages']:.0f} | {local_bench.human_bytes(c['weft']['bytes'])} |")
    return "\n".join(lines)


def header(datas):
    model, cpus = local_bench.machine_description()
    first = datas[0].get("context", {})
    lines = ["# weft distributed benchmarks", "",
             f"- Machine: {model}; {cpus}",
             f"- Kokkos {first.get('kokkos_version', '?')}, default execution space "
             f"{first.get('kokkos_execution_space', '?')}; {first.get('mpi_library', '?')}; "
             f"weft {first.get('weft_version', '?')}"]
    for d in datas:
        r = d.get("context", {}).get("weft_bench_py", {})
        if r:
            lines.append(f"- {r['ranks']} rank(s) x {r['threads_per_rank']} OpenMP thread(s): {r['date']}, "
                         f"{r['runtime_s']:.0f} s, load average before {r['load_before']}, "
                         f"after {r['load_after']}; {r.get('runs', 1)} run(s) of {r['repetitions']} "
                         f"repetitions, the median over runs of each run's median reported")
    lines += ["", "Times are per call, of the slowest rank, medians. n is the global size (elements, or "
              "the side of the grid): the same problem at every rank count (strong scaling). "
              "messages and bytes/call: what the busiest rank sends to other ranks per call.", ""]
    return "\n".join(lines)


def main():
    args = parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        datas = [json.loads(Path(f).read_text()) for f in args.from_json]
    else:
        datas = []
        for ranks in (int(r) for r in args.ranks.split(",")):
            # Several runs; the table takes the median over them (a shared
            # machine's slow spells last longer than one repetition).
            data = local_bench.run_several(lambda: run(args, ranks), args.runs)
            (out_dir / f"distributed-{ranks}.json").write_text(json.dumps(data, indent=1) + "\n")
            datas.append(data)
    runs = [(int(d["context"].get("mpi_ranks", 0)), medians(d)) for d in datas]
    halo, fits = halo_table(runs)
    text = (header(datas) + "\n## Vector algorithms\n\n" + vector_table(runs) +
            "\n\n## Halo exchange (1-D, periodic)\n\n" + halo + "\n\n" + (fits or "(no fit: one rank only)") +
            "\n\n## Grid stencils: the halo's share and the overlap\n\n" + grid_table(runs) +
            "\n\nhalo share = exchange / no_overlap; hidden by overlap = (no_overlap - weft) / exchange.\n")
    path = out_dir / "distributed.md"
    path.write_text(text)
    picture = bench_plots.plot_distributed(path, out_dir / "distributed.png")
    print(text)
    print(f"bench_distributed.py: wrote {path}" + (f" and {picture}" if picture else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
