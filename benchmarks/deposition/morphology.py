#!/usr/bin/env python3
"""Morphology of demo (a) (issue 4):

1. Overpotential scan, apps/dendra/dendrite_growth_2d.prm: the collector
   potential V from -0.30 to -0.45 V; the tip velocity over the second half
   of the run and the mean plating current.
2. Tip splitting, apps/dendra/dendrite_tip_splitting_2d.prm (the same cell,
   0.25 um cells in the interface, the four-fold anisotropy turned by 45
   degrees, interface noise): the tips of the deposit after 2.0 s for the
   demo, the demo without noise, with the anisotropy aligned to the field and
   without anisotropy (more tips than the three nuclei: tips have split), and
   pictures of the deposit (li_phase > 1/2) as PNG and ASCII art.

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
SPLIT_DEMO_NAME = "dendrite_tip_splitting_2d.prm"
SPLIT_DEMO = os.path.join(HERE, "..", "..", "apps", "dendra", SPLIT_DEMO_NAME)
SPLIT_TIME = 2.0  # s: with the anisotropy aligned, the steps fall below 1e-4 s at 2.1 s
# (name, label, settings): the demo (anisotropy turned by 45 degrees, noise)
# with three noise seeds, the same without noise, with the anisotropy aligned
# to the field, without anisotropy.
SPLIT_CASES = [
    ("turned", "delta 0.044 at 45 deg, noise", []),
    ("turned-seed2", "delta 0.044 at 45 deg, noise seed 2", ["Electrodeposition/Noise seed=2"]),
    ("turned-seed3", "delta 0.044 at 45 deg, noise seed 3", ["Electrodeposition/Noise seed=3"]),
    ("turned-quiet", "delta 0.044 at 45 deg, no noise", ["Electrodeposition/Noise amplitude=0"]),
    ("aligned", "delta 0.044 at 0 deg, noise", ["Electrodeposition/Anisotropy angle=0"]),
    ("isotropic", "delta 0, noise", ["Electrodeposition/Anisotropy strength=0"]),
]
WIDTH, HEIGHT, PIXEL = 4e-5, 4e-5, 2.5e-7  # m


def run(dendra, ranks, folder, settings, demo=DEMO):
    command = ([] if ranks == 1 else ["mpirun", "-np", str(ranks)]) + [dendra, demo]
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


def top_profile(image, threshold=0.5):
    """Height (m) of the highest pixel above @p threshold in every pixel column (0: none)."""
    rows = len(image)
    profile = []
    for col in range(len(image[0])):
        above = [r for r in range(rows) if image[r][col] is not None and image[r][col] > threshold]
        profile.append((rows - above[0]) * PIXEL if above else 0.0)
    return profile


def tips(profile, prominence=1e-6, lowest=6e-6):
    """Tips of the deposit: local maxima of the top profile above @p lowest (m;
    the film and the nuclei stay below) that stand at least @p prominence (m)
    above the deepest point between them and the next higher ground on each
    side. Of two equally high points the left one counts as higher, so two
    equal peaks with a shallow notch between them are one tip. A side that
    reaches the domain edge without higher ground sets no limit. Returns
    [(x, height)] in m."""
    def higher(j, i):
        return profile[j] > profile[i] or (profile[j] == profile[i] and j < i)

    found = []
    for i, h in enumerate(profile):
        if h < lowest or (i > 0 and profile[i - 1] >= h) or (i + 1 < len(profile) and profile[i + 1] > h):
            continue  # not a maximum (a plateau counts once, at its left end)
        drops = []
        for step in (-1, 1):
            j, low = i, h
            while 0 <= j + step < len(profile) and not higher(j + step, i):
                j += step
                low = min(low, profile[j])
            if 0 <= j + step < len(profile):
                drops.append(h - low)  # valley before higher ground
        if not drops or min(drops) >= prominence:
            found.append((i * PIXEL, h))
    return found


def tip_splitting_study(dendra, ranks, out):
    print(f"\nTip splitting, {SPLIT_DEMO_NAME} at -0.45 V, t = {SPLIT_TIME} s: tips of the deposit "
          "(maxima of its top profile standing 1 um above their surroundings; 3 nuclei)")
    print(f"{'case':>34} {'tips':>5} {'tip positions x:height (um)':>44} {'highest (um)':>13} {'steps':>6} "
          f"{'wall (s)':>9}")
    pictures = []
    for name, label, settings in SPLIT_CASES:
        folder = os.path.join(out, f"split-{name}")
        rows = run(dendra, ranks, folder, settings + [f"Simulation/End time={SPLIT_TIME}"], SPLIT_DEMO)
        last = sorted(f for f in os.listdir(os.path.join(folder, "solution")) if f.endswith(".pvtu"))[-1]
        pieces = vtu_tools.read_pvtu(os.path.join(folder, "solution", last))
        image = vtu_tools.raster(pieces, "li_phase", (0, 0), (WIDTH, HEIGHT), PIXEL)
        found = tips(top_profile(image))
        png = os.path.join(out, f"deposit_{name}.png")
        vtu_tools.write_png(png, image)
        positions = " ".join(f"{x * 1e6:.1f}:{h * 1e6:.1f}" for x, h in found)
        print(f"{label:>34} {len(found):5d} {positions:>44} {value(rows[-1], 'tip_position[m]') * 1e6:13.2f} "
              f"{len(rows):6d} {value(rows[-1], 'wall_time[s]'):9.1f}", flush=True)
        pictures.append((label, vtu_tools.ascii_art(image, every=2)))
    for label, picture in pictures:
        print(f"\n{label}: li_phase > 1/2 (0.5 um per character)\n{picture}")


def main():
    dendra = os.path.abspath(sys.argv[1])
    ranks = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    out = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "morphology-runs")
    os.makedirs(out, exist_ok=True)
    overpotential_scan(dendra, ranks, out)
    tip_splitting_study(dendra, ranks, out)


if __name__ == "__main__":
    main()
