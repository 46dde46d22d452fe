#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Run weft-collective-counts at 2 to 64 ranks and write bench/results/collectives.md.

    python3 scripts/collective_counts.py [build/bench/bench/weft-collective-counts] [--ranks 2,3,4,...]

weft-collective-counts counts, through the MPI profiling interface, the
messages and bytes each of weft's collective algorithms moves per rank per
call (the most over the ranks). The table puts each algorithm's counts at
every rank count side by side: what weft promises is that they grow no
faster than log2 P. Counting needs no fast machine: the ranks oversubscribe
the cores (one thread each), and a run at 64 ranks takes seconds.
"""

import argparse
import datetime
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(binary, ranks):
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_PROC_BIND="false", OMP_WAIT_POLICY="passive",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    out = subprocess.run(["mpiexec", "-n", str(ranks), binary], env=env, check=True, capture_output=True,
                         text=True, timeout=600).stdout
    rows, builds = {}, {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows[cells[1]] = tuple(int(c) for c in cells[2:])
        elif len(cells) == 5 and cells[0].isdigit():
            builds[cells[1]] = tuple(int(c) for c in cells[2:])
    return rows, builds


def markdown_table(first, table, ranks, cell):
    """One row per name of table (name -> P -> counts), one column per P."""
    lines = [f"| {first} | " + " | ".join(f"P = {p}" for p in ranks) + " |", "|:--|" + "--:|" * len(ranks)]
    for name, by_ranks in table.items():
        cells = ["" if by_ranks.get(p) is None else cell(by_ranks[p]) for p in ranks]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=str(ROOT / "build/bench/bench/weft-collective-counts"))
    parser.add_argument("--ranks", default="2,3,4,5,6,8,16,32,64")
    parser.add_argument("--output", default=str(ROOT / "bench/results/collectives.md"))
    args = parser.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    table, built = defaultdict(dict), defaultdict(dict)  # name -> P -> counts, in first-seen order
    for p in ranks:
        print(f"counting at {p} ranks", file=sys.stderr)
        rows, builds = run(args.binary, p)
        for name, counts in rows.items():
            table[name][p] = counts
        for name, counts in builds.items():
            built[name][p] = counts
    lines = [
        "# Messages and bytes per rank of weft's collective algorithms",
        "",
        f"Counted with the MPI profiling interface by `weft-collective-counts` "
        f"(`scripts/collective_counts.py`, {datetime.date.today().isoformat()}): per call, the most "
        "any rank sent and received. Point-to-point messages count exactly; an MPI collective "
        "counts once, with the bytes its receive buffer takes in (an allreduce its payload; an "
        "allgather P parts). Vectors hold 1000 elements per rank; grids 64 x 64 and 16 x 16 x 16 "
        "cells per rank on MPI_Dims_create's process grids.",
        "",
        "Each cell: messages received / bytes received / MPI collective calls.",
        "",
    ]
    lines += markdown_table("algorithm", table, ranks, lambda c: f"{c[1]} / {c[2]} / {c[3]}")
    lines += [
        "",
        "Building grids (64 x 64 cells per rank) and exchanging each one's halo once: communicators made "
        "(MPI_Comm_dup, MPI_Cart_create, MPI_Comm_split) / MPI datatypes made (the halo plans' subarrays) / "
        "MPI collective calls, the most on any rank.",
        "",
    ]
    lines += markdown_table("built", built, ranks, lambda c: f"{c[0]} / {c[1]} / {c[2]}")
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
