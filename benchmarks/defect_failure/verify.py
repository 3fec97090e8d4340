#!/usr/bin/env python3
"""Verification of the defect failure study (issue 6): the failure time of a
study case under one more refinement level, and on 1 and 2 ranks.

The case is the study's triangle of aspect ratio 3 (the dendra-defect-study
default input with that one case). Runs: the study's resolution (h = 0.25
um, 1.25 s load steps); one more refinement level (box and interfaces);
the same on 2 ranks; and load steps of 5, 2.5 and 0.625 s (the failure time
depends on the step: cracked cells join the Li region, and the split is
updated, once per step). Prints a table and the relative changes.
usage: verify.py <path to dendra-defect-study> [output folder]
"""
import csv
import os
import subprocess
import sys
import time


def run(app, folder, ranks, resolution, step):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    end_time = 100.0
    command = ["mpirun", "-np", str(ranks), app,
               "--set", "Output directory=" + folder,
               "--set", "Defect study/Shapes=triangle", "--set", "Defect study/Aspect ratios=3",
               "--set", f"Defect study/Ranks per case={ranks}", "--set", "Defect study/Plot command=",
               "--set", f"Simulation/End time={end_time}",
               "--set", f"Simulation/Number of steps={round(end_time / step)}",
               "--set", f"Mesh refinement/Box resolution={resolution}",
               "--set", f"Mesh refinement/Interface resolution={resolution}"]
    start = time.time()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        row = next(csv.DictReader(f))
    return row, time.time() - start


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    app = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 else "defect-failure-verification"
    os.makedirs(out, exist_ok=True)
    # (label, ranks, h (m), load step (s)); the first is the study's default.
    cases = [("h 0.25 um, dt 1.25 s", 1, 2.5e-7, 1.25), ("h 0.125 um, dt 1.25 s", 1, 1.25e-7, 1.25),
             ("h 0.25 um, dt 1.25 s, 2 ranks", 2, 2.5e-7, 1.25), ("h 0.25 um, dt 5 s", 1, 2.5e-7, 5.0),
             ("h 0.25 um, dt 2.5 s", 1, 2.5e-7, 2.5), ("h 0.25 um, dt 0.625 s", 1, 2.5e-7, 0.625)]
    rows = []
    print(f"{'run':32} {'failure t [s]':>14} {'peak [MPa]':>11} {'damage [um^2]':>14} {'centroid [um]':>14}"
          f" {'wall [s]':>9}")
    for label, ranks, h, step in cases:
        folder = os.path.join(out, "".join(c if c.isalnum() else "_" for c in label))
        row, wall = run(app, folder, ranks, h, step)
        rows.append(row)
        print(f"{label:32} {float(row['failure_time[s]']):14.4g} "
              f"{float(row['peak_max_principal_stress[Pa]']) / 1e6:11.1f}"
              f" {float(row['damaged_measure']) * 1e12:14.3f} {float(row['damage_centroid_depth[m]']) * 1e6:14.3f}"
              f" {wall:9.1f}", flush=True)
    coarse, fine, parallel = (float(r["failure_time[s]"]) for r in rows[:3])
    print(f"\nfailure time change under one more refinement: {abs(fine - coarse) / coarse * 100:.1f} %")
    print(f"failure time, 2 ranks against 1: {abs(parallel - coarse) / coarse * 100:.1f} %")
    finest = float(rows[5]["failure_time[s]"])
    print(f"failure time change from dt 1.25 s to 0.625 s: {abs(finest - coarse) / coarse * 100:.1f} %")


if __name__ == "__main__":
    main()
