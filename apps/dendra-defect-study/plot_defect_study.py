#!/usr/bin/env python3
"""Plots of a dendra-defect-study run: `plot_defect_study.py OUTPUT_DIRECTORY`.

Writes into OUTPUT_DIRECTORY
  failure_time.png  failure time, early cracked area and peak stress against
                    aspect ratio, one line per shape (cases that did not fail
                    are drawn at the end time, hollow);
  damage_maps.png   the damage of every case at its end (failure or end of
                    run), shapes in rows and aspect ratios in columns; Li
                    (defect filling and cracks it entered) in grey;
  li_pressure.png   with the pressurised Li filling: the Li pressure, the
                    share of the current that plates into the defect and the
                    focusing factor of every case against time.
Needs matplotlib (Debian: python3-matplotlib).
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def case_directory(root, row):
    ratio = row["aspect_ratio"]
    return os.path.join(root, "cases", f"{row['shape']}_ar{float(ratio):g}")


def end_time(root, row):
    """The case's last statistics time: where a survivor is drawn."""
    stats = read_rows(os.path.join(case_directory(root, row), "statistics.csv"))
    return float(stats[-1]["time[s]"]) if stats else float("nan")


def plot_trends(root, rows):
    shapes = list(dict.fromkeys(r["shape"] for r in rows))
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    dim3 = any(r["shape"] in ("semi-sphere", "pyramid", "cuboid") for r in rows)
    unit = "um^3" if dim3 else "um^2"
    scale = 1e18 if dim3 else 1e12
    for shape in shapes:
        own = sorted((r for r in rows if r["shape"] == shape), key=lambda r: float(r["aspect_ratio"]))
        ratios = [float(r["aspect_ratio"]) for r in own]
        failed = [float(r["failure_time[s]"]) if float(r["failure_time[s]"]) >= 0 else None for r in own]
        times = [t if t is not None else end_time(root, r) for t, r in zip(failed, own)]
        line, = axes[0].plot(ratios, times, "-", label=shape)
        axes[0].plot([a for a, t in zip(ratios, failed) if t is not None],
                     [t for t in failed if t is not None], "o", color=line.get_color())
        axes[0].plot([a for a, t, s in zip(ratios, failed, times) if t is None],
                     [s for t, s in zip(failed, times) if t is None], "o", mfc="none", color=line.get_color())
        axes[1].plot(ratios, [float(r["early_damaged_measure"]) * scale for r in own], "o-", label=shape)
        axes[2].plot(ratios, [float(r["peak_max_principal_stress[Pa]"]) / 1e6 for r in own], "o-", label=shape)
    titles = ["failure time [s] (hollow: no failure by the end)", f"cracked electrolyte at the early time [{unit}]",
              "peak max principal stress in LLZO [MPa]"]
    for axis, title in zip(axes, titles):
        axis.set_xscale("log")
        axis.set_xlabel("aspect ratio depth/width [-]")
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(os.path.join(root, "failure_time.png"), dpi=120)
    plt.close(figure)


def plot_maps(root, rows):
    shapes = list(dict.fromkeys(r["shape"] for r in rows))
    ratios = sorted({float(r["aspect_ratio"]) for r in rows})
    figure, axes = plt.subplots(len(shapes), len(ratios), figsize=(2.6 * len(ratios), 2.0 * len(shapes)),
                                squeeze=False)
    for row in rows:
        i, j = shapes.index(row["shape"]), ratios.index(float(row["aspect_ratio"]))
        axis = axes[i][j]
        path = os.path.join(case_directory(root, row), "damage_map.csv")
        if not os.path.exists(path):
            axis.set_axis_off()
            continue
        cells = read_rows(path)
        horizontal, vertical = ("x[m]", "y[m]") if "z[m]" not in cells[0] else ("x[m]", "z[m]")
        if "z[m]" in cells[0]:  # 3D: the cells next to the mid-plane y = 0
            spacing = min(abs(float(c["y[m]"])) for c in cells if float(c["y[m]"]) != 0) * 2.5
            cells = [c for c in cells if abs(float(c["y[m]"])) < spacing]
        x = [float(c[horizontal]) * 1e6 for c in cells]
        y = [float(c[vertical]) * 1e6 for c in cells]
        d = [float(c["damage"]) for c in cells]
        li = [float(c["li"]) > 0.5 or float(c[vertical]) < 0 for c in cells]
        axis.scatter([a for a, k in zip(x, li) if not k], [b for b, k in zip(y, li) if not k],
                     c=[v for v, k in zip(d, li) if not k], s=2, cmap="inferno_r", vmin=0, vmax=1, marker="s")
        axis.scatter([a for a, k in zip(x, li) if k], [b for b, k in zip(y, li) if k], c="0.6", s=2, marker="s")
        axis.set_xlim(-6, 6)
        axis.set_ylim(-1, 6)
        axis.set_aspect("equal")
        axis.tick_params(labelsize=6)
        failure = float(row["failure_time[s]"])
        label = f"fails {failure:g} s" if failure >= 0 else row["status"][:20]
        axis.set_title(f"{row['shape']} AR {float(row['aspect_ratio']):g}: {label}", fontsize=7)
    figure.suptitle("damage at the end of each case (black = cracked, grey = Li); x, y in um", fontsize=9)
    figure.tight_layout()
    figure.savefig(os.path.join(root, "damage_maps.png"), dpi=130)
    plt.close(figure)


def plot_li_history(root, rows):
    """Li pressure, current share and focusing against time; False without a filling."""
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    drawn = False
    for row in rows:
        path = os.path.join(case_directory(root, row), "statistics.csv")
        stats = read_rows(path) if os.path.exists(path) else []
        if not stats or "li_pressure[Pa]" not in stats[0]:
            continue
        drawn = True
        t = [float(s["time[s]"]) for s in stats]
        label = f"{row['shape']} {float(row['aspect_ratio']):g}"
        line, = axes[0].plot(t, [float(s["li_pressure[Pa]"]) / 1e6 for s in stats], "-", label=label)
        axes[1].plot(t, [float(s["filling_current_share"]) * 100 for s in stats], "-", color=line.get_color())
        axes[2].plot(t, [float(s["focusing_factor"]) for s in stats], "-", color=line.get_color())
    if not drawn:
        plt.close(figure)
        return False
    titles = ["Li pressure in the defect [MPa]", "share of the current plated into the defect [%]",
              "focusing factor (defect / nominal current density) [-]"]
    for axis, title in zip(axes, titles):
        axis.set_xlabel("time [s]")
        axis.set_title(title, fontsize=10)
        axis.grid(True, alpha=0.3)
    axes[0].legend(fontsize=6, ncol=2)
    figure.tight_layout()
    figure.savefig(os.path.join(root, "li_pressure.png"), dpi=120)
    plt.close(figure)
    return True


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_defect_study.py OUTPUT_DIRECTORY")
    root = sys.argv[1]
    rows = read_rows(os.path.join(root, "results.csv"))
    if not rows:
        sys.exit(f"plot_defect_study.py: {root}/results.csv has no cases")
    plot_trends(root, rows)
    plot_maps(root, rows)
    written = ["failure_time.png", "damage_maps.png"] + (["li_pressure.png"] if plot_li_history(root, rows) else [])
    print("plots written: " + ", ".join(f"{root}/{name}" for name in written))


if __name__ == "__main__":
    main()
