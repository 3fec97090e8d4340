#!/usr/bin/env python3
"""Builds the bundled host geometries (the *.prm recipes in this folder) with
dendra and draws their material ids as PNG pictures next to the recipes:
2D meshes whole, 3D meshes as the vertical section through the first row of
features (y = 4 um for the Cu collectors, the box centre otherwise).
Prints, per recipe, the cell count and the share of every material in the
picture (the area in 2D, the section's area in 3D); pixels no cell covers
are magenta.

usage: pictures.py <path to dendra> [output folder for the runs]
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benchmarks", "deposition"))
import vtu_tools  # noqa: E402

# Material ids of MaterialLibrary's defaults and their colours.
MATERIALS = {1: ("Li metal", (170, 170, 185)), 2: ("Cu", (205, 115, 50)), 3: ("LLZO", (60, 110, 180)),
             4: ("rGO", (40, 40, 40)), 5: ("Liquid electrolyte", (205, 230, 250)),
             6: ("Polymer electrolyte", (230, 215, 160)), 7: ("Porous LLZO", (130, 175, 225)),
             8: ("Void", (255, 255, 255))}
# recipe: plane y of the 3D section (m)
SECTION = {"cu_pillars_3d": 4e-6, "cu_channels_3d": 4e-6, "layered_rgo_sites_3d": 5e-6,
           "garnet_trilayer_3d": 10e-6}
PIXELS = 400  # across the longer side


def bounding_box(pieces):
    lower, upper = [float("inf")] * 3, [float("-inf")] * 3
    for piece in pieces:
        p = piece["points"]
        for d in range(3):
            lower[d] = min(lower[d], min(p[d::3]))
            upper[d] = max(upper[d], max(p[d::3]))
    return lower, upper


def main():
    dendra = os.path.abspath(sys.argv[1])
    out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "mesh-pictures")
    os.makedirs(out, exist_ok=True)
    for recipe in sorted(f[:-4] for f in os.listdir(HERE) if f.endswith(".prm")):
        folder = os.path.join(out, recipe)
        log = subprocess.run([dendra, os.path.join(HERE, recipe + ".prm"), "--set", "Output directory=" + folder],
                             check=True, capture_output=True, text=True).stdout
        cells = next(line.split()[1] for line in log.splitlines() if line.startswith("Mesh:"))
        solution = os.path.join(folder, "solution")
        last = sorted(f for f in os.listdir(solution) if f.endswith(".pvtu"))[-1]
        pieces = vtu_tools.read_pvtu(os.path.join(solution, last))
        lower, upper = bounding_box(pieces)
        vertical = 2 if recipe in SECTION else 1  # the axis drawn upwards
        box = ((lower[0], lower[vertical]), (upper[0], upper[vertical]))
        pixel = max(upper[0] - lower[0], upper[vertical] - lower[vertical]) / PIXELS
        image = vtu_tools.raster(pieces, "material_id", *box, pixel, SECTION.get(recipe))
        vtu_tools.write_colour_png(os.path.join(HERE, recipe + ".png"), image,
                                   {k: colour for k, (name, colour) in MATERIALS.items()}, missing=(255, 0, 255))
        counts = {}
        for row in image:
            for v in row:
                if v is not None:
                    counts[int(round(v))] = counts.get(int(round(v)), 0) + 1
        total = sum(counts.values())
        shares = ", ".join(f"{MATERIALS[k][0]} ({k}) {n / total:.3f}" for k, n in sorted(counts.items()))
        print(f"{recipe}: {cells} cells; {'section' if recipe in SECTION else 'area'} fractions: {shares}",
              flush=True)


if __name__ == "__main__":
    main()
