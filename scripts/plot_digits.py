#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Draws what examples/train_digits wrote with --csv PREFIX: the loss and
test accuracy per epoch (PREFIX-curves.csv) beside a grid of test digits
with the labels the network predicted (PREFIX-predictions.csv; wrong ones
in red, with the true label). Writes PREFIX.png, or the file named.

    python3 scripts/plot_digits.py PREFIX [out.png] [--count 48]
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--count", type=int, default=48, help="test digits in the grid")
    args = parser.parse_args()
    with open(args.prefix + "-curves.csv") as f:
        curves = list(csv.DictReader(f))
    with open(args.prefix + "-predictions.csv") as f:
        predictions = list(csv.DictReader(f))
    epochs = [int(r["epoch"]) for r in curves]
    loss = [float(r["loss"]) for r in curves]
    accuracy = [100 * float(r["test_accuracy"]) for r in curves]
    wrong = sum(r["label"] != r["predicted"] for r in predictions)

    columns, rows = 8, (args.count + 7) // 8
    fig = plt.figure(figsize=(12, 5), dpi=80)
    ax = fig.add_axes((0.06, 0.11, 0.32, 0.8))
    ax.plot(epochs, loss, "o-", color="tab:blue", ms=3)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training loss (cross-entropy)", color="tab:blue")
    twin = ax.twinx()
    twin.plot(epochs, accuracy, "s-", color="tab:red", ms=3)
    twin.set_ylabel("test accuracy (%)", color="tab:red")
    twin.set_ylim(min(80.0, min(accuracy)), 100)
    ax.set_title(f"final test accuracy {accuracy[-1]:.1f} % ({wrong} of {len(predictions)} wrong)", fontsize=11)
    left, bottom, width, height = 0.47, 0.06, 0.52, 0.86
    for k, r in enumerate(predictions[: rows * columns]):
        i, j = k // columns, k % columns
        cell = fig.add_axes((left + j * width / columns, bottom + (rows - 1 - i) * height / rows,
                             0.8 * width / columns, 0.72 * height / rows))
        pixels = [[float(r[f"p{8 * a + b}"]) for b in range(8)] for a in range(8)]
        cell.imshow(pixels, cmap="gray_r", vmin=0, vmax=16)
        right = r["label"] == r["predicted"]
        cell.set_title(r["predicted"] if right else f"{r['predicted']} (is {r['label']})",
                       fontsize=9, color="black" if right else "red", pad=2)
        cell.axis("off")
    fig.text(left + width / 2, 0.95, f"the first {min(len(predictions), rows * columns)} test digits, "
             "with the label the network predicted", ha="center", fontsize=11)
    out = args.out or args.prefix + ".png"
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main()
