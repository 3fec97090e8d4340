#!/usr/bin/env python3
"""Perturbation study (issue 4): growth or decay of a small sinusoidal
perturbation of a Li | separator interface against the separator's shear
modulus, for each stress coupling of the overpotential.

Runs perturbation.prm with dendra for a range of G_s / G_Li and prints the
growth rate s = ln(A(T) / A(0)) / T of the amplitude A (half the spread of the
xi = 1/2 contour) and the crossover ratio where s changes sign.

usage: perturbation.py <path to dendra> [mpirun ranks] [--voltages V1,V2,...]
With --voltages: the crossover of each coupling form at each collector
potential instead of the full table.
"""
import csv
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LI_SHEAR = 4.9e9 / (2 * 1.42)  # Li metal defaults: E 4.9 GPa, nu 0.42
NU_S = 0.33
RATIOS = [0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8]


def run(dendra, ranks, name, settings):
    out = os.path.join(os.getcwd(), "perturbation-runs", name)
    command = ([] if ranks == 1 else ["mpirun", "-np", str(ranks)]) + [dendra, os.path.join(HERE, "perturbation.prm")]
    for s in settings + ["Output directory=" + out]:
        command += ["--set", s]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(open(os.path.join(out, "statistics.csv"))))
    amplitude = lambda r: (float(r["tip_position[m]"]) - float(r["front_low[m]"])) / 2
    # Growth over the run from the first step on (the first step settles the profile).
    t0, t1 = float(rows[0]["time[s]"]), float(rows[-1]["time[s]"])
    return math.log(amplitude(rows[-1]) / amplitude(rows[0])) / (t1 - t0), amplitude(rows[0]), amplitude(rows[-1])


def crossover(ratios, rates):
    """G_s / G_Li where the growth rate crosses zero (log-linear interpolation)."""
    for (g0, s0), (g1, s1) in zip(zip(ratios, rates), zip(ratios[1:], rates[1:])):
        if s0 > 0 >= s1:
            return math.exp(math.log(g0) + (math.log(g1) - math.log(g0)) * s0 / (s0 - s1))
    return float("nan")


def voltage_scan(dendra, ranks, voltages):
    """Crossover G_s / G_Li of each coupling form against the collector potential."""
    print(f"{'V (V)':>7} {'coupling':>14} {'no separator (1/s)':>19} {'crossover G_s/G_Li':>19}")
    for v in voltages:
        drive = f"Electrodeposition/Boundary conditions/Electrode potential=y min: {v}"
        base = run(dendra, ranks, f"liquid{v}", ["Simulation/Fields=deposition", drive])[0]
        for coupling in ["hydrostatic", "monroe-newman"]:
            rates = []
            for ratio in RATIOS:
                young = 2 * (1 + NU_S) * ratio * LI_SHEAR
                rates.append(run(dendra, ranks, f"{coupling}-{ratio}-{v}",
                                 [drive, f"Electrodeposition/Stress coupling={coupling}",
                                  f"Materials/Polymer electrolyte/Young's modulus={young:.6g}"])[0])
            if rates[0] <= 0:
                where = f"< {RATIOS[0]}" if base > 0 else "stable without"
            elif rates[-1] > 0:
                where = f"> {RATIOS[-1]}"
            else:
                where = f"{crossover(RATIOS, rates):.2f}"
            print(f"{v:7.2f} {coupling:>14} {base:+19.3f} {where:>19}", flush=True)


def main():
    dendra = os.path.abspath(sys.argv[1])
    ranks = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 1
    if "--voltages" in sys.argv:
        voltage_scan(dendra, ranks, [float(v) for v in sys.argv[sys.argv.index("--voltages") + 1].split(",")])
        return
    base, a0, a1 = run(dendra, ranks, "liquid", ["Simulation/Fields=deposition"])
    print(f"no separator (deposition only): growth rate {base:+.3f} 1/s, amplitude {a0 * 1e9:.1f} -> {a1 * 1e9:.1f} nm")
    print(f"{'coupling':>14} {'G_s/G_Li':>9} {'G_s (GPa)':>10} {'rate (1/s)':>11} {'A(0) nm':>8} {'A(T) nm':>8}")
    for coupling in ["hydrostatic", "monroe-newman"]:
        rates = []
        for ratio in RATIOS:
            young = 2 * (1 + NU_S) * ratio * LI_SHEAR
            rate, a0, a1 = run(dendra, ranks, f"{coupling}-{ratio}",
                               [f"Electrodeposition/Stress coupling={coupling}",
                                f"Materials/Polymer electrolyte/Young's modulus={young:.6g}"])
            rates.append(rate)
            print(f"{coupling:>14} {ratio:9.2f} {ratio * LI_SHEAR / 1e9:10.3f} {rate:+11.3f} {a0 * 1e9:8.1f} {a1 * 1e9:8.1f}",
                  flush=True)
        print(f"{coupling:>14} crossover G_s/G_Li = {crossover(RATIOS, rates):.2f} (Monroe-Newman: about 2)")


if __name__ == "__main__":
    main()
