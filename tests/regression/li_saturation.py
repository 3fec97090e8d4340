#!/usr/bin/env python3
"""Checks the steady Li pressure of stress-driven plating (README, "Stress-driven plating").

usage: li_saturation.py <output dir> [--rtol R] [--share S]

A galvanostatic 2D run of a Li-filled defect (the interfacial defect with
Plating/Li model = pressurised filling and Butler-Volmer on every Li | LLZO
face) reaches a steady state once the defect takes no more current: the
planar interface then carries the whole current I = i W over its length
W - w (w the defect's opening), at the overpotential |eta| with
i W / (W - w) = i0 [exp(alpha_c f |eta|) - exp(-alpha_a f |eta|)], f = F/(RT),
and the defect's faces, at the same electrolyte potential, plate nothing
when Omega_Li p / F = |eta|:

    p_inf = F |eta| / Omega_Li + p_if

(p_if: Electrode kinetics/Interface pressure, the planar interface's own Li
pressure, which shifts its electrode potential by Omega_Li p_if / F).

The ohmic drop between the interface and the defect's faces (of order
i depth / sigma_ion) is left out, so the check allows --rtol (default 2 %).
Reads the run's parameters.prm and statistics.csv; fails unless the last
row's defect current share is below --share and its Li pressure is p_inf
to --rtol.
"""
import argparse
import csv
import math
import os
import sys

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)


def read_parameters(path):
    """The entries of a deal.II parameter file as {'A/B/entry': value}."""
    entries, path_parts = {}, []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("subsection "):
                path_parts.append(line[len("subsection "):].strip())
            elif line == "end":
                path_parts.pop()
            elif line.startswith("set "):
                name, _, value = line[len("set "):].partition("=")
                entries["/".join(path_parts + [name.strip()])] = value.strip()
    return entries


def steady_pressure(prm):
    """p_inf (Pa) from the run's parameters."""
    defect = "Geometry/Interfacial defect/"
    kinetics = "Electrostatics/Electrode kinetics/Kinetics/"
    if prm["Dimension"] != "2" or float(prm[defect + "Defect size"]) != 0:
        sys.exit("li_saturation.py: needs a 2D run with Geometry/Interfacial defect/Defect width (Defect size = 0)")
    program = prm["Current program/Steps"].split()
    if len(program) != 3 or program[0] != "plate":
        sys.exit("li_saturation.py: needs Current program/Steps = plate <A/m^2> <s>, got '%s'" % " ".join(program))
    width, opening = float(prm[defect + "Electrolyte width"]), float(prm[defect + "Defect width"])
    interface_current = float(program[1]) * width / (width - opening)  # A/m^2
    i0 = float(prm[kinetics + "Exchange current density"])
    alpha_a = float(prm[kinetics + "Anodic transfer coefficient"])
    alpha_c = float(prm[kinetics + "Cathodic transfer coefficient"])
    if prm[kinetics + "Law"] != "butler-volmer" or float(prm[kinetics + "Concentration exponent"]) != 0:
        sys.exit("li_saturation.py: needs Butler-Volmer kinetics with a constant i0 (Law = butler-volmer, "
                 "Concentration exponent = 0)")
    f = FARADAY / (GAS_CONSTANT * float(prm["Conditions/Temperature"]))
    plating = lambda eta: i0 * (math.exp(alpha_c * f * eta) - math.exp(-alpha_a * f * eta))
    low, high = 0.0, 1.0  # V: |eta| by bisection (plating is increasing in |eta|)
    for _ in range(200):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if plating(middle) < interface_current else (low, middle)
    molar_volume = float(prm["Materials/Li metal/Molar volume"])
    # The interface's own Li pressure shifts its electrode potential by Omega p_if / F.
    interface_pressure = float(prm["Electrostatics/Electrode kinetics/Interface pressure"])
    return FARADAY * 0.5 * (low + high) / molar_volume + interface_pressure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--rtol", type=float, default=0.02)
    parser.add_argument("--share", type=float, default=1e-3)
    args = parser.parse_args()
    expected = steady_pressure(read_parameters(os.path.join(args.output, "parameters.prm")))
    with open(os.path.join(args.output, "statistics.csv")) as f:
        last = list(csv.DictReader(f))[-1]
    pressure, share = float(last["li_pressure[Pa]"]), float(last["filling_current_share"])
    error = pressure / expected - 1
    print("Li pressure %.6g Pa at t = %s s, closed form p_inf %.6g Pa: %+.2f %%; defect current share %.3g"
          % (pressure, last["time[s]"], expected, 100 * error, share))
    if abs(share) > args.share:
        sys.exit("not at the steady state: the defect still takes %.3g of the current (> %g)" % (share, args.share))
    if abs(error) > args.rtol:
        sys.exit("the Li pressure differs from p_inf by %.2f %% (> %g %%)" % (100 * error, 100 * args.rtol))


if __name__ == "__main__":
    main()
