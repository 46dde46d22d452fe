#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""A latency-bandwidth model of weft's collectives at 10^2 to 10^5 ranks.

    python3 scripts/collective_model.py [--alpha 1.5e-6] [--beta 12e9] [--points 32768]

Prints the markdown tables bench/README.md quotes. Each message costs
alpha + bytes / beta (alpha: the latency of one small message between
nodes; beta: the bandwidth one rank gets). The schedules are the ones the
code runs (detail/collectives.hpp), counted in rounds of messages on the
critical path:

  all-gather (weft 0.1)    Bruck:            ceil(log2 P) alpha + (P - 1) part / beta
  ordered fold, small      recursive doubling: (ceil(log2 P') + 2 [P != P']) (alpha + (part + 32) / beta)
  ordered fold, large      in-order tree:    up to 4 ceil(log2 (P + 1)) (alpha + part / beta)
  weft::all_reduce         reduce-scatter + all-gather: (2 log2 P' + 2 [P != P']) alpha + 2 n / beta (+ n / beta folding pairs)
  MPI_Allreduce            recursive doubling below 4 KiB, Rabenseifner above (what MPICH and Open MPI pick)

A CG iteration (3-D Poisson, 7-point stencil, --points unknowns per rank)
makes two dot products and one stencil: two folds of 8 bytes, one halo
exchange of six faces (their messages in flight together), the stencil's
argument check (weft 0.1: one 8-word allreduce; now: one latency for the
check words the neighbours send, counted in full though the stencil's
interior overlaps it), and the local work (--seconds-per-point). PETSc's
CG makes the same two allreduces and no argument check.
"""

import argparse
import math


def log2c(p):
    return math.ceil(math.log2(p)) if p > 1 else 0


def pow2_floor(p):
    return 1 << (p.bit_length() - 1)


def msg(a, b, nbytes):
    return a + nbytes / b


def allgather(p, a, b, part):
    return log2c(p) * a + (p - 1) * part / b


def fold_small(p, a, b, part):
    base = pow2_floor(p)
    rounds = int(math.log2(base)) + (2 if p != base else 0)
    return rounds * msg(a, b, part + 32)


def fold_tree(p, a, b, part):
    return 4 * log2c(p + 1) * msg(a, b, part + 32)


def weft_fold(p, a, b, part):
    return fold_small(p, a, b, part) if part + 32 <= 1024 or p <= 4 else fold_tree(p, a, b, part)


def rabenseifner(p, a, b, nbytes):
    base = pow2_floor(p)
    extra = 2 * msg(a, b, nbytes) if p != base else 0
    return 2 * math.log2(base) * a + 2 * nbytes / b + extra


def mpi_allreduce(p, a, b, nbytes):
    return log2c(p) * msg(a, b, nbytes) if nbytes < 4096 else rabenseifner(p, a, b, nbytes)


def us(t):
    if t < 1e-3:
        return f"{t * 1e6:.1f}"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.1f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alpha", type=float, default=1.5e-6, help="seconds per message between nodes")
    ap.add_argument("--beta", type=float, default=12e9, help="bytes per second one rank gets")
    ap.add_argument("--points", type=int, default=32768, help="CG unknowns per rank (32^3)")
    ap.add_argument("--seconds-per-point", type=float, default=2.5e-9,
                    help="local CG work per unknown and iteration (stencil, two dots, three axpys)")
    args = ap.parse_args()
    a, b = args.alpha, args.beta
    ranks = [100, 1000, 10000, 100000]
    head = "| | " + " | ".join(f"P = 10^{int(math.log10(p))}" for p in ranks) + " |"
    rule = "|:--|" + "--:|" * len(ranks)

    print(f"alpha = {a * 1e6:g} us, beta = {b / 1e9:g} GB/s; times in microseconds unless marked.\n")
    print("One reduction of a `double` (weft::reduce, a dot product):\n")
    print(head + "\n" + rule)
    print("| weft 0.1: all-gather of 16 B per rank | " + " | ".join(us(allgather(p, a, b, 16)) for p in ranks) + " |")
    print("| weft now: ordered fold | " + " | ".join(us(weft_fold(p, a, b, 16)) for p in ranks) + " |")
    print("| MPI_Allreduce | " + " | ".join(us(mpi_allreduce(p, a, b, 8)) for p in ranks) + " |")

    n = args.points
    side = round(n ** (1 / 3))
    face = side * side * 8
    halo = a + 6 * face / b
    local = n * args.seconds_per_point
    print(f"\nOne CG iteration, {side}^3 unknowns per rank (local work {us(local)} us, halo exchange {us(halo)} us):\n")
    print(head + "\n" + rule)
    rows = {
        "weft 0.1 (two all-gathers, argument allreduce)": lambda p: local + halo + 2 * allgather(p, a, b, 16) + mpi_allreduce(p, a, b, 64),
        "weft now (two ordered folds, check with the neighbours)": lambda p: local + halo + a + 2 * weft_fold(p, a, b, 16),
        "weft now, argument_checks::trusted": lambda p: local + halo + 2 * weft_fold(p, a, b, 16),
        "PETSc-style CG (two MPI_Allreduce)": lambda p: local + halo + 2 * mpi_allreduce(p, a, b, 8),
    }
    for name, f in rows.items():
        print(f"| {name} | " + " | ".join(us(f(p)) for p in ranks) + " |")

    print("\nMerging a gradient across ranks (data-parallel training step):\n")
    print("| gradient | method | " + " | ".join(f"P = 10^{int(math.log10(p))}" for p in ranks) + " |")
    print("|:--|:--|" + "--:|" * len(ranks))
    for label, nbytes in (("4 KiB (512 doubles)", 4096), ("4 MB (10^6 floats)", 4e6)):
        print(f"| {label} | weft 0.1: all-gather | " + " | ".join(us(allgather(p, a, b, nbytes)) for p in ranks) + " |")
        print(f"| | weft now: transform_reduce into one value (tree) | " + " | ".join(us(weft_fold(p, a, b, nbytes)) for p in ranks) + " |")
        print(f"| | weft now: weft::all_reduce of a view | " + " | ".join(us(rabenseifner(p, a, b, nbytes)) for p in ranks) + " |")
        print(f"| | MPI_Allreduce | " + " | ".join(us(mpi_allreduce(p, a, b, nbytes)) for p in ranks) + " |")


if __name__ == "__main__":
    main()
