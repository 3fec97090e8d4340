#!/usr/bin/env python3
"""Verification of the defect failure study (issue 6): the failure time of a
study case under one more refinement level, on 1 and 2 ranks, and against
the load step and the Li region's scheme (Coupling/Alternate minimisation/Region passes).

The case is the triangle of aspect ratio 3 of the study's proxy model (issue
6: elasticity and damage, Li plated at a fixed 10 A/m^2 as a volumetric
eigenstrain, a static refinement box), set by LEGACY_MODEL below: the
study's default is now the coupled model of issue 20. Runs: the study's resolution (h = 0.25
um, 1.25 s load steps, the region explicit: cracked cells join it after
each step); one more refinement level (box and interfaces); the same on 2
ranks; load steps from 5 s down to 0.15625 s; and the region implicit in
the step (Region passes = 20) at both resolutions. Prints a table and the
relative changes.

With --check-refinement it runs only the first two (the study's resolution
and one more refinement level) and exits with 1 unless both fail and their
failure times differ by at most 5 % (the ctest
regression.defect_failure_refinement).
usage: verify.py [--check-refinement] <path to dendra-defect-study> [output folder]
"""
import csv
import os
import shutil
import subprocess
import sys
import time


# The proxy model of issue 6 on top of today's default input.
LEGACY_MODEL = ["Simulation/Fields=elasticity, damage", "Current program/Working electrode=",
                "Current program/Steps=plate 10 3600", "Plating/Li model=eigenstrain", "Plating/Deposit growth=faradaic",
                "Plating/Plating current density=10", "Mesh refinement/Refinement box=-6e-6, 0; 6e-6, 6e-6",
                "Mesh refinement/Adaptation interval=0", "Defect study/Damage length fraction=0",
                "Damage/Mesh-corrected fracture energy=false", "Damage/Viscosity=1.25e8",
                "Elasticity/Linear solver/Relative tolerance=1e-8"]


def run(app, folder, ranks, resolution, step, region_passes):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    end_time = 100.0
    command = ["mpirun", "-np", str(ranks), app] + [a for entry in LEGACY_MODEL for a in ("--set", entry)] + [
               "--set", "Output directory=" + folder,
               "--set", "Defect study/Shapes=triangle", "--set", "Defect study/Aspect ratios=3",
               "--set", f"Defect study/Ranks per case={ranks}", "--set", "Defect study/Plot command=",
               "--set", f"Simulation/End time={end_time}",
               "--set", f"Simulation/Number of steps={round(end_time / step)}",
               "--set", f"Mesh refinement/Box resolution={resolution}",
               "--set", f"Mesh refinement/Interface resolution={resolution}",
               "--set", f"Coupling/Alternate minimisation/Region passes={region_passes}"]
    shutil.rmtree(folder, ignore_errors=True)  # a resumed sweep would reuse old results
    start = time.time()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        row = next(csv.DictReader(f))
    return row, time.time() - start


def check_refinement(app, out):
    """The study's triangle of AR 3 at h = 0.25 and 0.125 um: 0 if the failure
    times agree to 5 %, else 1."""
    times = []
    for label, h in (("study resolution", 2.5e-7), ("one more refinement", 1.25e-7)):
        row, wall = run(app, os.path.join(out, label.replace(" ", "_")), 1, h, 1.25, 0)
        times.append(float(row["failure_time[s]"]))
        print(f"{label} (h {h * 1e6:g} um): failure at {times[-1]:g} s ({wall:.0f} s wall)", flush=True)
    if min(times) < 0:
        print("error: a case did not fail, so no failure time to compare")
        return 1
    change = abs(times[1] - times[0]) / times[0]
    print(f"failure time change under one more refinement: {change * 100:.1f} % (limit 5 %)")
    return 0 if change <= 0.05 else 1


def main():
    arguments = [a for a in sys.argv[1:] if a != "--check-refinement"]
    if not arguments:
        sys.exit(__doc__)
    app = os.path.abspath(arguments[0])
    out = arguments[1] if len(arguments) > 1 else "defect-failure-verification"
    if "--check-refinement" in sys.argv:
        sys.exit(check_refinement(app, out))
    os.makedirs(out, exist_ok=True)
    # (label, ranks, h (m), load step (s), region passes); the first is the study's default.
    cases = [("h 0.25 um, dt 1.25 s", 1, 2.5e-7, 1.25, 0), ("h 0.125 um, dt 1.25 s", 1, 1.25e-7, 1.25, 0),
             ("h 0.25 um, dt 1.25 s, 2 ranks", 2, 2.5e-7, 1.25, 0), ("h 0.25 um, dt 5 s", 1, 2.5e-7, 5.0, 0),
             ("h 0.25 um, dt 2.5 s", 1, 2.5e-7, 2.5, 0), ("h 0.25 um, dt 0.625 s", 1, 2.5e-7, 0.625, 0),
             ("h 0.25 um, dt 0.3125 s", 2, 2.5e-7, 0.3125, 0), ("h 0.25 um, dt 0.15625 s", 2, 2.5e-7, 0.15625, 0),
             ("h 0.125 um, dt 0.3125 s", 2, 1.25e-7, 0.3125, 0),
             ("implicit, h 0.25 um, dt 1.25 s", 2, 2.5e-7, 1.25, 20),
             ("implicit, h 0.25 um, dt 0.3125 s", 2, 2.5e-7, 0.3125, 20),
             ("implicit, h 0.125 um, dt 1.25 s", 2, 1.25e-7, 1.25, 20),
             ("implicit, h 0.125 um, dt 0.3125 s", 2, 1.25e-7, 0.3125, 20)]
    rows = {}
    print(f"{'run':36} {'failure t [s]':>14} {'peak [MPa]':>11} {'damage [um^2]':>14} {'centroid [um]':>14}"
          f" {'wall [s]':>9}")
    for label, ranks, h, step, passes in cases:
        folder = os.path.join(out, "".join(c if c.isalnum() else "_" for c in label))
        row, wall = run(app, folder, ranks, h, step, passes)
        rows[label] = float(row["failure_time[s]"])
        print(f"{label:36} {rows[label]:14.4g} "
              f"{float(row['peak_max_principal_stress[Pa]']) / 1e6:11.1f}"
              f" {float(row['damaged_measure']) * 1e12:14.3f} {float(row['damage_centroid_depth[m]']) * 1e6:14.3f}"
              f" {wall:9.1f}", flush=True)

    def change(a, b):
        return abs(rows[b] - rows[a]) / rows[a] * 100

    default = "h 0.25 um, dt 1.25 s"
    print(f"\nfailure time change under one more refinement: {change(default, 'h 0.125 um, dt 1.25 s'):.1f} %")
    print(f"failure time, 2 ranks against 1: {change(default, 'h 0.25 um, dt 1.25 s, 2 ranks'):.1f} %")
    steps = [rows[label] for label, _, h, _, passes in cases if h == 2.5e-7 and passes == 0]
    print(f"failure time at h 0.25 um over load steps 5 s to 0.15625 s: {min(steps):.4g} to {max(steps):.4g} s")
    fine = [rows[label] for label, _, h, _, _ in cases if h == 1.25e-7]
    print(f"failure time at h 0.125 um, both schemes, 1.25 and 0.3125 s steps: {min(fine):.4g} to {max(fine):.4g} s")

if __name__ == "__main__":
    main()
