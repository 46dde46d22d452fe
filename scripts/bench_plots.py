#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Pictures of weft's benchmark results, drawn from their Markdown tables.

    python3 scripts/bench_plots.py [family ...] [--results bench/results]

Each benchmark script (bench.py, bench_distributed.py, bench_flags.py,
bench_io.py, bench_reproducible.py) writes its table under bench/results
and then calls this module, so every picture is drawn from the table beside
it and can be redrawn from the committed tables without running anything.
Families and what each picture shows:

  local         local.md: GB/s of weft, hand-written Kokkos and raw OpenMP
                over sizes, one panel per primitive
  distributed   distributed.md: time per call of weft and hand-written
                Kokkos + MPI over rank counts, one panel per primitive, a
                line per size; and weft's 1-D halo exchange beside MPI_Sendrecv
  flags         flags.md: time per element of weft and hand-written Kokkos
                at -O2 and -O3 over sizes
  io            io.md: bandwidth of weft's save, checkpoint and load beside
                raw MPI-IO over rank counts
  reproducible  reproducible.md (or, where it is missing, the tables of
                bench/README.md's "Reproducible sums"): time of the
                reproducible sum, dot and scan beside the default and
                hand-written Kokkos, locally and at 2 ranks

The PNGs are kept small (under 150 KB) so that they can be committed.
Needs matplotlib (Debian: python3-matplotlib; the Agg backend, no display).
"""
import argparse
import math
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DPI = 80

# --- reading the tables ------------------------------------------------------

UNIT_BYTES = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1e3, "MB": 1e6, "GB": 1e9}
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def number(text):
    """The number a table cell starts with: '6,118.3' -> 6118.3, '0.70 **(< 0.95)**' -> 0.7,
    '384 KiB' -> 393216 (bytes), '4.77 ms' -> 0.00477 (seconds), '2^20' -> 1048576; None if none."""
    text = text.replace("**", "").replace(",", "").strip()
    match = re.match(r"^(\d+)\^(\d+)$", text)
    if match:
        return float(int(match.group(1)) ** int(match.group(2)))
    match = re.match(r"^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([A-Za-zµ]+)?", text)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    if unit in UNIT_BYTES:
        return value * UNIT_BYTES[unit]
    if unit in UNIT_SECONDS:
        return value * UNIT_SECONDS[unit]
    return value


def tables(path, section=None):
    """Every pipe table of a Markdown file as (the heading above it, columns, rows of dicts,
    the last line of text above it).
    With section, only the tables under the '## ' heading that starts with it."""
    result = []
    heading = caption = ""
    inside = section is None
    lines = Path(path).read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## ") and section is not None:
            inside = line[3:].startswith(section)
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() and not line.startswith("|"):
            caption = line.strip()
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            columns = [c.strip() for c in line.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].replace("\\|", "/").strip("|").split("|")]
                rows.append(dict(zip(columns, cells)))
                i += 1
            if inside:
                result.append((heading, columns, rows, caption))
            continue
        i += 1
    return result


def metadata(path):
    """The '- ' lines at the top of a results file (machine, Kokkos, date), or its first paragraph."""
    lines = Path(path).read_text().split("\n")
    notes = [l[2:] for l in lines[:12] if l.startswith("- ")]
    return notes


# --- drawing -----------------------------------------------------------------


def pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 7, "figure.titlesize": 9})
    return plt


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    size = os.path.getsize(path)
    if size > 150_000:
        print(f"bench_plots: {path} is {size // 1000} KB (over 150 KB)", file=sys.stderr)
    return path


def panels(plt, count, columns=3, width=3.6, height=2.7):
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax in list(axes.flat)[count:]:
        ax.axis("off")
    return fig, list(axes.flat)[:count]


def machine_line(path):
    notes = metadata(path)
    machine = next((n for n in notes if n.startswith("Machine:")), "")
    kokkos = next((n for n in notes if n.startswith("Kokkos")), "")
    short = machine.replace("Machine: ", "").split(";")[0] + ("; " + kokkos.split(";")[0] if kokkos else "")
    return short


STYLE = {"weft": dict(color="tab:blue", marker="o"), "kokkos": dict(color="tab:orange", marker="s"),
         "omp": dict(color="tab:green", marker="^"), "hand": dict(color="tab:orange", marker="s"),
         "raw": dict(color="tab:gray", marker="s")}


def plot_local(md, png):
    """GB/s over n for weft, hand-written Kokkos and raw OpenMP, a panel per primitive."""
    plt = pyplot()
    if plt is None:
        return None
    rows = [r for _, columns, rs, _ in tables(md) if "weft GB/s" in columns for r in rs]
    primitives = list(dict.fromkeys(r["primitive"] for r in rows))
    fig, axes = panels(plt, len(primitives))
    for ax, primitive in zip(axes, primitives):
        mine = [r for r in rows if r["primitive"] == primitive]
        ns = [number(r["n"]) for r in mine]
        for variant, label in (("weft", "weft"), ("kokkos", "hand-written Kokkos"), ("omp", "raw OpenMP")):
            ax.plot(ns, [number(r[f"{variant} GB/s"]) for r in mine], label=label, **STYLE[variant])
        llc = [number(r["n"]) for r in mine if number(r["x LLC"]) >= 1]
        if llc:
            ax.axvline(llc[0], color="grey", linestyle="--", linewidth=0.8, label="first size past the LLC")
        ax.set_xscale("log", base=2)
        ax.set_ylim(bottom=0)
        ax.set_title(primitive)
        ax.set_xlabel("n (side of the grid)" if primitive.startswith("stencil") else "n (elements)")
        ax.set_ylabel("GB/s (higher is faster)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"weft local primitives beside hand-written Kokkos and raw OpenMP ({machine_line(md)})")
    return save(fig, png)


def plot_distributed(md, png):
    """Time per call over rank counts: weft (solid) and hand-written Kokkos + MPI (dashed), a line per size."""
    plt = pyplot()
    if plt is None:
        return None
    found = tables(md)
    vector = next((rs for _, c, rs, _ in found if "Kokkos+MPI µs" in c), [])
    halo = next((rs for _, c, rs, _ in found if "2 x MPI_Sendrecv µs" in c), [])
    grid = next((rs for _, c, rs, _ in found if "no_overlap µs" in c), [])
    cases = [(p, vector, "weft µs", "Kokkos+MPI µs", "hand-written Kokkos + MPI")
             for p in dict.fromkeys(r["primitive"] for r in vector)]
    cases += [(p, grid, "weft µs", "no_overlap µs", "exchange, then compute")
              for p in dict.fromkeys(r["primitive"] for r in grid)]
    if halo:
        cases.append(("halo exchange (1-D)", halo, "weft µs", "2 x MPI_Sendrecv µs", "2 x MPI_Sendrecv"))
    fig, axes = panels(plt, len(cases))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (name, rows, mine, theirs, label) in zip(axes, cases):
        size_key = "ghosts per side" if "ghosts per side" in rows[0] else "n"
        if name != "halo exchange (1-D)":
            rows = [r for r in rows if r["primitive"] == name]
        sizes = list(dict.fromkeys(r[size_key] for r in rows))
        if len(sizes) > 3:
            sizes = sizes[1::2]
        for colour, size in zip(colours, sizes):
            at = [r for r in rows if r[size_key] == size]
            ranks = [number(r["ranks"]) for r in at]
            ax.plot(ranks, [number(r[mine]) for r in at], color=colour, marker="o")
            ax.plot(ranks, [number(r[theirs]) for r in at], color=colour, marker="s", linestyle="--",
                    markerfacecolor="white")
            ax.annotate(f"{'g' if size_key != 'n' else 'n'} = {size}", (ranks[-1], number(at[-1][mine])),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=7, color=colour)
        ax.set_yscale("log")
        ticks = sorted({number(r["ranks"]) for r in rows})
        ax.set_xticks(ticks)
        ax.set_xlim(ticks[0] - 0.2, ticks[-1] + 0.9)
        ax.set_xlabel("MPI ranks (same global problem)")
        ax.set_ylabel("µs per call (lower is faster)")
        ax.set_title(f"{name}\n(dashed: {label})")
        ax.grid(alpha=0.3)
    fig.suptitle(f"weft's distributed algorithms (solid) beside hand-written baselines (dashed) over rank counts, "
                 f"a colour per size\n({machine_line(md)})")
    return save(fig, png)


def plot_flags(md, png):
    """Nanoseconds per element of weft and hand-written Kokkos at -O2 and -O3 over n."""
    plt = pyplot()
    if plt is None:
        return None
    rows = [r for _, c, rs, _ in tables(md) if "weft -O2" in c for r in rs]
    cases = [c for c in dict.fromkeys(r["case"] for r in rows) if sum(r["case"] == c for r in rows) > 1]
    fig, axes = panels(plt, len(cases), columns=4, width=3.0, height=2.5)
    styles = {"weft -O3": dict(color="tab:blue", marker="o"),
              "weft -O2": dict(color="tab:blue", marker="o", linestyle="--", markerfacecolor="white"),
              "kokkos -O3": dict(color="tab:orange", marker="s"),
              "kokkos -O2": dict(color="tab:orange", marker="s", linestyle="--", markerfacecolor="white")}
    for ax, case in zip(axes, cases):
        mine = [r for r in rows if r["case"] == case]
        ns = [number(r["n"]) for r in mine]
        points = [n ** (2 if case.startswith("stencil2d") or case == "gray_scott" else
                        3 if case.startswith("stencil3d") else 1) for n in ns]
        for column, style in styles.items():
            label = column.replace("kokkos", "hand-written Kokkos")
            ax.plot(ns, [number(r[column]) / p * 1e9 for r, p in zip(mine, points)], label=label, **style)
        ax.set_xscale("log", base=2)
        ax.set_ylim(bottom=0)
        ax.set_title(case)
        ax.set_xlabel("n (side)" if points[0] != ns[0] else "n (elements)")
        ax.set_ylabel("ns per point (lower is faster)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle("weft and hand-written Kokkos at -O2 (dashed) and -O3 (solid), one thread "
                 "(bench/results/flags.md)")
    return save(fig, png)


def plot_io(md, png):
    """GB/s of weft's save, checkpoint and load beside raw MPI-IO, over rank counts, a panel per grid."""
    plt = pyplot()
    if plt is None:
        return None
    rows = [r for _, c, rs, _ in tables(md) if "weft GB/s" in c and "raw GB/s" in c for r in rs]
    grids = list(dict.fromkeys(r["grid"] for r in rows))
    fig, axes = panels(plt, 2 * len(grids), columns=2, width=4.2, height=2.8)
    colours = {"save": "tab:blue", "checkpoint": "tab:green", "checkpoint_sync": "tab:purple", "load": "tab:red"}
    for index, grid in enumerate(grids):
        for ax, direction in zip(axes[2 * index:2 * index + 2], ("write", "read")):
            mine = [r for r in rows if r["grid"] == grid and (r["variant"] == "load") == (direction == "read")]
            for variant in dict.fromkeys(r["variant"] for r in mine):
                at = [r for r in mine if r["variant"] == variant]
                ax.plot([number(r["ranks"]) for r in at], [number(r["weft GB/s"]) for r in at], marker="o",
                        color=colours[variant], label=f"weft {variant}")
            for raw, style in (("raw_write", dict(color="dimgray", marker="s")),
                               ("raw_write_sync", dict(color="black", marker="^")),
                               ("raw_read", dict(color="dimgray", marker="s"))):
                at = list({r["ranks"]: r for r in mine if r["raw"] == raw}.values())
                if at:
                    ax.plot([number(r["ranks"]) for r in at], [number(r["raw GB/s"]) for r in at], linestyle="--",
                            markerfacecolor="white", label=f"{raw} (MPI-IO)", **style)
            ax.set_xticks(sorted({number(r["ranks"]) for r in mine}))
            ax.set_ylim(bottom=0)
            ax.set_xlabel("MPI ranks")
            ax.set_ylabel("GB/s (higher is faster)")
            ax.set_title(f"{grid} doubles ({mine[0]['MiB']} MiB): {direction}")
            ax.set_ylim(top=ax.get_ylim()[1] * 1.5)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", ncol=2, fontsize=6)
    fig.suptitle("weft::hdf5 saves, checkpoints and loads beside one raw collective MPI-IO call of the same bytes")
    return save(fig, png)


def plot_reproducible(md, png):
    """Time of the reproducible sum, dot and scan beside the default and hand-written Kokkos."""
    plt = pyplot()
    if plt is None:
        return None
    if Path(md).exists():
        found = [(h, c, rs) for h, c, rs, _ in tables(md) if "reproducible ms" in c]
    else:
        found = [(h, c, rs) for h, c, rs, _ in tables(ROOT / "bench" / "README.md", section="Reproducible sums")
                 if "reproducible ms" in c][:2]
    titles = ["one process, 2 OpenMP threads", "2 MPI ranks x 1 thread"]
    fig, axes = panels(plt, len(found), columns=2, width=4.6, height=3.0)
    for ax, (heading, columns, rows), title in zip(axes, found, titles):
        hand = next(c for c in columns if c.startswith("hand-written"))
        labels = [f"{r['case']}\n{r['n']}" for r in rows]
        width = 0.27
        for offset, (column, label, colour) in enumerate(
                (("reproducible ms", "weft reproducible_plus", "tab:blue"),
                 ("default ms", "weft plus (default)", "tab:cyan"),
                 (hand, hand.replace(" ms", ""), "tab:orange"))):
            ax.bar([i + (offset - 1) * width for i in range(len(rows))],
                   [number(r[column]) / number(r["default ms"]) for r in rows], width, label=label, color=colour)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(labels)
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
        ax.set_ylabel("time / default's time (lower is faster)")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", ncol=3, fontsize=6)
    fig.suptitle("Reproducible sums (weft::reproducible_plus) beside weft's default sum and hand-written Kokkos, "
                 "double, 2^20 and 2^24 elements")
    return save(fig, png)


FAMILIES = {"local": plot_local, "distributed": plot_distributed, "flags": plot_flags, "io": plot_io,
            "reproducible": plot_reproducible}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("families", nargs="*", default=list(FAMILIES), help="default: all")
    parser.add_argument("--results", default=str(RESULTS), help="folder of the tables (default: %(default)s)")
    args = parser.parse_args()
    if pyplot() is None:
        # Debian's matplotlib belongs to the system interpreter; a pyenv or
        # venv python3 may lack it.
        if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
            os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
        sys.exit("bench_plots.py: matplotlib is missing (Debian: python3-matplotlib)")
    results = Path(args.results)
    for family in args.families:
        written = FAMILIES[family](results / f"{family}.md", results / f"{family}.png")
        print(f"{written} ({os.path.getsize(written) // 1000} KB)" if written else f"{family}: nothing drawn")


if __name__ == "__main__":
    main()
