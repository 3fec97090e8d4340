#!/usr/bin/env python3
"""Morphology of demo (a), apps/dendra/dendrite_growth_2d.prm (issue 4):

1. Overpotential scan: the collector potential V from -0.30 to -0.45 V; the
   tip velocity over the second half of the run and the mean plating current.
2. Anisotropy: delta = 0 (isotropic) and the file's 0.044 (four-fold); the
   number of separate Li fingers crossing horizontal lines below the tips
   (more than the three nuclei: tips have split or branched), and pictures
   of the deposit (li_phase > 1/2) as PNG and ASCII art.

usage: morphology.py <path to dendra> [mpirun ranks] [output folder]
"""
import csv
import os
import subprocess
import sys

import vtu_tools

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "apps", "dendra", "dendrite_growth_2d.prm")
# Beyond -0.45 V the model's negative Li+ concentrations take over (README).
VOLTAGES = [-0.30, -0.35, -0.40, -0.45]
SCAN_TIME = 0.5  # s
ANISOTROPIES = [0.0, 0.044]
SHAPE_TIME = 1.2  # s
WIDTH, HEIGHT, PIXEL = 4e-5, 4e-5, 2.5e-7  # m


def run(dendra, ranks, folder, settings):
    command = ([] if ranks == 1 else ["mpirun", "-np", str(ranks)]) + [dendra, DEMO]
    for s in settings + ["Output directory=" + folder]:
        command += ["--set", s]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return list(csv.DictReader(open(os.path.join(folder, "statistics.csv"))))


def value(row, name):
    return float(row[name])


def overpotential_scan(dendra, ranks, out):
    print(f"Overpotential scan, anisotropy 0.044, t = 0 .. {SCAN_TIME} s")
    print(f"{'V (V)':>7} {'tip at T/2 (um)':>16} {'tip at T (um)':>14} {'tip velocity (um/s)':>20} "
          f"{'current (A/m)':>14} {'steps':>6} {'wall (s)':>9}")
    for v in VOLTAGES:
        rows = run(dendra, ranks, os.path.join(out, f"voltage{v:+.2f}"),
                   [f"Simulation/End time={SCAN_TIME}",
                    f"Electrodeposition/Boundary conditions/Electrode potential=y min: {v}"])
        half = min(rows, key=lambda r: abs(value(r, "time[s]") - SCAN_TIME / 2))
        last = rows[-1]
        velocity = (value(last, "tip_position[m]") - value(half, "tip_position[m]")) / (
            value(last, "time[s]") - value(half, "time[s]"))
        # Plating current (A/m): all current entering the domain (collector and
        # reservoir) goes into the charge of the plated Li; its mean over the run.
        current = sum((value(r, "current_y_min[A/m]") + value(r, "current_y_max[A/m]")) * value(r, "time_step[s]")
                      for r in rows) / value(last, "time[s]")
        print(f"{v:7.2f} {value(half, 'tip_position[m]') * 1e6:16.2f} {value(last, 'tip_position[m]') * 1e6:14.2f} "
              f"{velocity * 1e6:20.2f} {current:14.3f} {len(rows):6d} {value(last, 'wall_time[s]'):9.1f}", flush=True)


def finger_counts(image, heights):
    """Separate Li fingers crossing the rows at @p heights (m above y = 0)."""
    rows = len(image)
    return [vtu_tools.segments(image[rows - 1 - int(h / PIXEL)]) for h in heights]


def anisotropy_study(dendra, ranks, out):
    print(f"\nAnisotropy at -0.45 V, t = {SHAPE_TIME} s: fingers crossing lines below the highest tip")
    print(f"{'delta':>6} {'tip (um)':>9} {'1 um below':>11} {'3 um below':>11} {'5 um below':>11} {'picture':>30}")
    pictures = []
    for delta in ANISOTROPIES:
        folder = os.path.join(out, f"anisotropy{delta:g}")
        rows = run(dendra, ranks, folder, [f"Simulation/End time={SHAPE_TIME}",
                                           f"Electrodeposition/Anisotropy strength={delta}"])
        tip = value(rows[-1], "tip_position[m]")
        last = sorted(f for f in os.listdir(os.path.join(folder, "solution")) if f.endswith(".pvtu"))[-1]
        pieces = vtu_tools.read_pvtu(os.path.join(folder, "solution", last))
        image = vtu_tools.raster(pieces, "li_phase", (0, 0), (WIDTH, HEIGHT), PIXEL)
        counts = finger_counts(image, [tip - 1e-6, tip - 3e-6, tip - 5e-6])
        png = os.path.join(out, f"deposit_anisotropy{delta:g}.png")
        vtu_tools.write_png(png, image)
        print(f"{delta:6.3f} {tip * 1e6:9.2f} {counts[0]:11d} {counts[1]:11d} {counts[2]:11d} {png:>30}", flush=True)
        # The picture up to 2 um above the highest tip, 0.5 um per character.
        top = max(0, len(image) - int((tip + 2e-6) / PIXEL))
        pictures.append((delta, vtu_tools.ascii_art(image[top:], every=2)))
    for delta, picture in pictures:
        print(f"\ndelta = {delta}: li_phase > 1/2 (0.5 um per character)\n{picture}")


def main():
    dendra = os.path.abspath(sys.argv[1])
    ranks = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    out = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "morphology-runs")
    os.makedirs(out, exist_ok=True)
    overpotential_scan(dendra, ranks, out)
    anisotropy_study(dendra, ranks, out)


if __name__ == "__main__":
    main()
