#!/usr/bin/env python3
"""Adaptive against uniform meshes at equal interface resolution (issue 4,
benchmark): demos (a) apps/dendra/dendrite_growth_2d.prm and (c)
apps/dendra/dendrite_growth_3d.prm, each run on a uniform mesh of the finest
cell size and on a mesh that follows the interface (the finest cells only in
the diffuse interface and two rings around it, re-adapted every 2 steps).

Prints, per run: steps, the mean and largest number of unknowns, the wall
time per step, the tip position and Li amount at the end, and the ratio of
unknowns uniform / adaptive (the issue asks for at least 5).

usage: amr.py <path to dendra> [mpirun ranks] [output folder]
"""
import csv
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "..", "..", "apps", "dendra")


def adaptive(repetitions, levels):
    """Coarse cells from Geometry/Box repetitions, @p levels refinements in the interface."""
    return repetitions + ["Mesh refinement/Initial global refinement=0", "Mesh refinement/Adaptation interval=2",
                          "Mesh refinement/Minimum level=0", f"Mesh refinement/Maximum level={levels}"]


def uniform(repetitions, levels):
    return repetitions + [f"Mesh refinement/Initial global refinement={levels}",
                          "Mesh refinement/Adaptation interval=0"]


# (demo, input, end time (s), finest cell (um), Box repetitions giving the coarse cells, levels)
BOX_2D = lambda n: [f"Geometry/Box/X repetitions={n}", f"Geometry/Box/Y repetitions={n}"]
BOX_3D = ["Geometry/Box/X repetitions=5", "Geometry/Box/Y repetitions=5", "Geometry/Box/Z repetitions=10"]
CASES = [
    ("(a) 2D", "dendrite_growth_2d.prm", 0.3, 0.5, BOX_2D(10), 3),
    ("(a) 2D", "dendrite_growth_2d.prm", 0.3, 0.25, BOX_2D(10), 4),
    ("(c) 3D", "dendrite_growth_3d.prm", 0.02, 0.5, BOX_3D, 3),
]


def run(dendra, ranks, folder, prm, settings):
    command = ([] if ranks == 1 else ["mpirun", "-np", str(ranks)]) + [dendra, os.path.join(APPS, prm)]
    for s in settings + ["Output directory=" + folder, "Postprocess/Write vtu=false"]:
        command += ["--set", s]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(open(os.path.join(folder, "statistics.csv"))))
    dofs = [int(r["deposition_dofs"]) for r in rows]
    volume = [k for k in rows[-1] if k.startswith("li_volume")][0]
    return {"steps": len(rows), "mean dofs": sum(dofs) / len(dofs), "max dofs": max(dofs),
            "per step": float(rows[-1]["wall_time[s]"]) / len(rows), "tip": float(rows[-1]["tip_position[m]"]),
            "li": float(rows[-1][volume])}


def main():
    dendra = os.path.abspath(sys.argv[1])
    ranks = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    out = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "amr-runs")
    print(f"{'demo':>7} {'cell (um)':>9} {'mesh':>9} {'T (s)':>6} {'steps':>6} {'mean DoFs':>10} {'max DoFs':>9} "
          f"{'s/step':>7} {'tip (um)':>9} {'Li amount':>11} {'DoF ratio':>10}")
    for demo, prm, end, cell, repetitions, levels in CASES:
        results = {}
        for mesh, settings in (("uniform", uniform(repetitions, levels)), ("adaptive", adaptive(repetitions, levels))):
            name = f"{prm[:-4]}-{cell:g}um-{mesh}"
            results[mesh] = run(dendra, ranks, os.path.join(out, name), prm,
                                settings + [f"Simulation/End time={end}"])
        ratio = results["uniform"]["mean dofs"] / results["adaptive"]["mean dofs"]
        for mesh, r in results.items():
            print(f"{demo:>7} {cell:9.2f} {mesh:>9} {end:6.2f} {r['steps']:6d} {r['mean dofs']:10.0f} {r['max dofs']:9d} "
                  f"{r['per step']:7.2f} {r['tip'] * 1e6:9.3f} {r['li']:11.4e} "
                  f"{(f'{ratio:.1f}' if mesh == 'adaptive' else ''):>10}", flush=True)
        tip = results["adaptive"]["tip"] / results["uniform"]["tip"] - 1
        li = results["adaptive"]["li"] / results["uniform"]["li"] - 1
        print(f"{'':>7} adaptive vs uniform: tip {tip * 100:+.2f} %, Li amount {li * 100:+.2f} %")


if __name__ == "__main__":
    main()
