#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Run weft-bench and write bench/results/local.md and local.png.

    python3 scripts/bench.py [build/bench/bench/weft-bench] [--runs 3] [--repetitions 7]

Runs the binary --runs times with Google Benchmark's JSON output, each run
with N repetitions per case in random order (interleaved across cases) and
only the aggregates reported; takes the median over runs of each case's
MEDIAN real time, pairs the weft / kokkos / omp variants of every
<primitive>/<n>, and writes

  bench/results/local.md    Markdown: machine, Kokkos, threads, date, the
                            table (GB/s per variant, weft/kokkos, weft/omp)
  bench/results/local.png   GB/s against n, one panel per primitive (scripts/bench_plots.py,
                            drawn from local.md)
  bench/results/local.json  the raw Google Benchmark JSON (git-ignored)

and prints the table. GB/s = bytes moved per iteration (the case's "bytes"
counter) / median real time: the cases are multithreaded, and Google
Benchmark's own bytes_per_second divides by the main thread's CPU time.

OMP_PROC_BIND=spread and OMP_PLACES=threads are set unless already set;
OMP_NUM_THREADS defaults to the number of online CPUs.
--from-json FILE redraws the table and plot from a saved JSON without running.
"""

import argparse
import importlib.util
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import bench_plots

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = ROOT / "build" / "bench" / "bench" / "weft-bench"
VARIANTS = ("weft", "kokkos", "omp")
# Display order, and what n means for each primitive.
PRIMITIVES = {
    "triad": "a = b + s*c; n elements per array; 24n bytes",
    "reduce_sum": "sum of x; n elements; 8n bytes",
    "dot": "sum of x*y; n elements per array; 16n bytes",
    "scan": "inclusive prefix sum; n elements per array; 16n bytes",
    "stencil2d": "5-point Jacobi on n x n; 16 bytes per interior point",
    "stencil3d": "7-point Jacobi on n x n x n; 16 bytes per interior point",
}
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# The CPUs this script may run on, read before anything imports matplotlib:
# loading it (through numpy's OpenBLAS) can pin the process to one CPU, and
# the benchmark would inherit that.
CPUS = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
NAME = re.compile(r"^(?P<primitive>[a-z0-9_]+)/(?P<variant>[a-z]+)/(?P<n>\d+)$")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary", nargs="?", default=str(DEFAULT_BINARY),
                   help="weft-bench executable (default: %(default)s)")
    p.add_argument("--repetitions", type=int, default=7,
                   help="repetitions per case; the median is reported (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3,
                   help="whole runs of the binary; the median over runs is reported (default: %(default)s)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="--benchmark_min_time per repetition, seconds (default: %(default)s)")
    p.add_argument("--filter", default=None, help="--benchmark_filter regex (default: all)")
    p.add_argument("--out-dir", default=str(ROOT / "bench" / "results"),
                   help="where local.md/.png/.json go (default: %(default)s)")
    p.add_argument("--name", default="local", help="stem of the output files (default: %(default)s)")
    p.add_argument("--kokkos-version", default=None,
                   help="override the Kokkos version read from the binary's JSON context")
    p.add_argument("--from-json", default=None,
                   help="do not run: read this saved Google Benchmark JSON instead")
    return p.parse_args()


# --- the machine -------------------------------------------------------------

def lscpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def machine_description():
    cpu = lscpu()
    model = cpu.get("Model name") or platform.processor() or "unknown CPU"
    cpus = cpu.get("CPU(s)") or str(os.cpu_count())
    cores = cpu.get("Core(s) per socket")
    sockets = cpu.get("Socket(s)")
    threads = cpu.get("Thread(s) per core")
    parts = [f"{cpus} CPUs"]
    if cores and sockets:
        parts.append(f"{sockets} socket(s) x {cores} core(s)")
    if threads:
        parts.append(f"{threads} thread(s) per core")
    hypervisor = cpu.get("Hypervisor vendor")
    if hypervisor:
        parts.append(f"virtual machine ({hypervisor})")
    return model, ", ".join(parts)


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# --- running -------------------------------------------------------------------

def run_binary(args, env):
    binary = Path(args.binary)
    if not binary.is_file():
        sys.exit(f"bench.py: no weft-bench at {binary}; build it first "
                 "(cmake --preset bench && cmake --build --preset bench)")
    command = [str(binary), "--benchmark_format=json",
               f"--benchmark_repetitions={args.repetitions}",
               "--benchmark_report_aggregates_only=true",
               # Repetitions of all cases in random order: a slow spell on a
               # shared machine then spreads over the variants instead of
               # landing on one of them.
               "--benchmark_enable_random_interleaving=true",
               f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        command.append(f"--benchmark_filter={args.filter}")
    print("bench.py: running " + " ".join(command), file=sys.stderr)
    print("bench.py: with " + " ".join(f"{k}={env[k]}" for k in
                                       ("OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES")),
          file=sys.stderr)
    if CPUS is not None and os.sched_getaffinity(0) != CPUS:
        os.sched_setaffinity(0, CPUS)
    load_before = load_average()
    try:
        if os.getloadavg()[0] > 0.5:
            print(f"bench.py: warning: load average {load_before} before the run: another "
                  "process is busy, timings will be noisy", file=sys.stderr)
    except OSError:
        pass
    start = time.monotonic()
    # stderr (Kokkos' and the checks' messages) goes straight to the terminal.
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"bench.py: weft-bench failed with exit status {result.returncode}")
    data = json.loads(result.stdout)
    data.setdefault("context", {})["weft_bench_py"] = {
        "runtime_s": seconds, "load_before": load_before, "load_after": load_average(),
        "repetitions": args.repetitions, "min_time_s": args.min_time,
        "cpus_allowed": sorted(os.sched_getaffinity(0)) if CPUS is not None else None,
        "command": " ".join(command),
        "env": {k: env[k] for k in ("OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES")},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return data


# --- tables --------------------------------------------------------------------

def run_several(run_once, runs):
    """Google Benchmark JSON of `runs` runs in one: the benchmarks of all, the
    context of the first with the run time summed and the load after the last."""
    data = run_once()
    info = data["context"]["weft_bench_py"]
    for _ in range(runs - 1):
        more = run_once()
        data["benchmarks"] += more["benchmarks"]
        info["runtime_s"] += more["context"]["weft_bench_py"]["runtime_s"]
        info["load_after"] = more["context"]["weft_bench_py"]["load_after"]
    info["runs"] = runs
    return data


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


def medians(data):
    """{(primitive, n): {variant: (bytes, seconds)}}: the median over the
    runs of each run's median aggregate (or, without aggregates, the median
    of the iteration runs)."""
    samples = defaultdict(list)
    aggregated = defaultdict(list)
    for b in data["benchmarks"]:
        m = NAME.match(b.get("run_name", b["name"]))
        if not m or b.get("error_occurred"):
            continue
        key = (m["primitive"], int(m["n"]), m["variant"])
        seconds = b["real_time"] * TIME_UNITS[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                aggregated[key].append((b["bytes"], seconds))
        else:
            samples[key].append((b["bytes"], seconds))
    for key, runs in samples.items():
        if key not in aggregated:
            aggregated[key] = [(runs[0][0], median([s for _, s in runs]))]
    table = defaultdict(dict)
    for (primitive, n, variant), values in aggregated.items():
        table[(primitive, n)][variant] = (values[0][0], median([s for _, s in values]))
    return table


def order(table):
    rank = {p: i for i, p in enumerate(PRIMITIVES)}
    return sorted(table, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))


def human_bytes(b):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10), ("B", 1)):
        if b >= scale or unit == "B":
            v = b / scale
            return f"{v:.2f} {unit}" if v < 10 else f"{v:.1f} {unit}" if v < 100 else f"{v:.0f} {unit}"


def gbs(entry):
    return entry[0] / entry[1] / 1e9 if entry else None


def rows(table, llc):
    out = []
    for key in order(table):
        primitive, n = key
        cases = table[key]
        rate = {v: gbs(cases.get(v)) for v in VARIANTS}
        bytes_ = next(iter(cases.values()))[0]
        out.append({
            "primitive": primitive, "n": n, "bytes": bytes_, "rate": rate,
            "llc_multiple": bytes_ / llc if llc else None,
            "weft/kokkos": rate["weft"] / rate["kokkos"] if rate["weft"] and rate["kokkos"] else None,
            "weft/omp": rate["weft"] / rate["omp"] if rate["weft"] and rate["omp"] else None,
        })
    return out


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def llc_multiple(x):
    return "—" if x is None else f"{x:.3f}" if x < 0.1 else f"{x:.1f}"


def markdown_table(table_rows):
    lines = ["| primitive | n | bytes/iter | x LLC | weft GB/s | kokkos GB/s | omp GB/s "
             "| weft/kokkos | weft/omp |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in table_rows:
        ratio = r["weft/kokkos"]
        flag = " **(< 0.95)**" if ratio is not None and round(ratio, 2) < 0.95 else ""
        lines.append(
            f"| {r['primitive']} | {r['n']} | {human_bytes(r['bytes'])} | "
            f"{llc_multiple(r['llc_multiple'])} | "
            f"{fmt(r['rate']['weft'], 1)} | {fmt(r['rate']['kokkos'], 1)} | {fmt(r['rate']['omp'], 1)} | "
            f"{fmt(ratio)}{flag} | {fmt(r['weft/omp'])} |")
    return "\n".join(lines)


def summary(table_rows):
    big = [r for r in table_rows if r["llc_multiple"] and r["llc_multiple"] >= 1 and r["weft/kokkos"]]
    if not big:
        return "No case moves more bytes per iteration than the last-level cache holds."
    ratios = sorted(r["weft/kokkos"] for r in big)
    low = [f"{r['primitive']}/{r['n']} ({r['weft/kokkos']:.2f})" for r in big
           if round(r["weft/kokkos"], 2) < 0.95]
    text = (f"Cases moving at least the LLC per iteration: {len(big)}; weft/kokkos there: "
            f"min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}, max {ratios[-1]:.2f}.")
    text += (" Below 0.95: " + ", ".join(low) + "." if low else " None below 0.95.")
    return text


def header(data, args):
    ctx = data.get("context", {})
    run = ctx.get("weft_bench_py", {})
    model, cpus = machine_description()
    llc = int(ctx.get("llc_bytes", 0) or 0)
    kokkos = args.kokkos_version or ctx.get("kokkos_version", "unknown")
    env = run.get("env", {})
    runtime = run.get("runtime_s")
    lines = [
        "# weft local benchmarks",
        "",
        f"- Date: {run.get('date', ctx.get('date', 'unknown'))}",
        f"- Machine: {model}; {cpus}; last-level cache {human_bytes(llc) if llc else 'unknown'}",
        f"- Kokkos {kokkos}, default execution space {ctx.get('kokkos_execution_space', '?')} "
        f"(concurrency {ctx.get('kokkos_concurrency', '?')}); weft {ctx.get('weft_version', '?')}",
        f"- OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', os.environ.get('OMP_NUM_THREADS', '?'))}, "
        f"OMP_PROC_BIND={env.get('OMP_PROC_BIND', '?')}, OMP_PLACES={env.get('OMP_PLACES', '?')}"
        + (f"; CPUs allowed: {','.join(map(str, run['cpus_allowed']))}" if run.get("cpus_allowed") else ""),
        f"- Google Benchmark: {run.get('runs', 1)} run(s) of {run.get('repetitions', '?')} repetitions "
        f"(in random order) of at least {run.get('min_time_s', '?')} s per case; the median over runs "
        f"of each run's median real time is reported "
        f"(library build type: {ctx.get('library_build_type', '?')})",
    ]
    if runtime is not None:
        lines.append(f"- Whole run: {runtime:.0f} s; load average before {run.get('load_before')}, "
                     f"after {run.get('load_after')}")
    lines += [
        "",
        "GB/s = bytes moved per iteration / median real time (10^9 B/s). n is the number of "
        "elements per array for triad, reduce_sum, dot and scan, and the side of the grid for "
        "stencil2d (n x n) and stencil3d (n^3). \"x LLC\" = bytes per iteration / last-level cache.",
        "",
    ]
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    # Debian's matplotlib belongs to the system interpreter; a pyenv or venv
    # python3 may lack it. Re-run under /usr/bin/python3 when that one has it.
    if (importlib.util.find_spec("matplotlib") is None and os.path.exists("/usr/bin/python3")
            and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3")
            and not os.environ.get("WEFT_BENCH_PY_REEXEC")):
        probe = subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"],
                               capture_output=True)
        if probe.returncode == 0:
            print("bench.py: matplotlib missing here; re-running under /usr/bin/python3",
                  file=sys.stderr)
            os.environ["WEFT_BENCH_PY_REEXEC"] = "1"
            os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
    else:
        env = dict(os.environ)
        env.setdefault("OMP_PROC_BIND", "spread")
        env.setdefault("OMP_PLACES", "threads")
        env.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
        # Several runs, each a median of interleaved repetitions; the table
        # takes the median over runs (a shared machine's slow spells last
        # longer than one repetition).
        data = run_several(lambda: run_binary(args, env), args.runs)
        (out_dir / f"{args.name}.json").write_text(json.dumps(data, indent=1) + "\n")

    llc = int(data.get("context", {}).get("llc_bytes", 0) or 0)
    table_rows = rows(medians(data), llc)
    if not table_rows:
        sys.exit("bench.py: no <primitive>/<variant>/<n> results in the output")
    table = markdown_table(table_rows)
    text = header(data, args) + table + "\n\n" + summary(table_rows) + "\n"
    md_path = out_dir / f"{args.name}.md"
    md_path.write_text(text)
    png_path = out_dir / f"{args.name}.png"
    wrote_png = bench_plots.plot_local(md_path, png_path)
    print(text)
    print(f"bench.py: wrote {md_path}" + (f" and {png_path}" if wrote_png else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
