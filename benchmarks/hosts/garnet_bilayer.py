#!/usr/bin/env python3
"""Validation study (d) of plating in hosts (issue 5), with dendra-host: a
garnet porous/dense bilayer with Li in its pores against a planar Li | LLZO
interface, at 100 A/m^2 for 10 s (apps/dendra-host/garnet_bilayer_2d.prm and
garnet_planar_2d.prm; single-ion LLZO, i0 = 7.6 A/m^2).

- Overpotential (deposition only, no stress feedback): kinetic (the metal's
  potential) and ohmic (metal against the top) parts, bilayer and planar.
- Where the current puts the Li: the Li phase after 10 s with the current
  minus that after 10 s without (the Chen model's capillarity reshapes the
  Li in the pores by itself), per layer, and the Li above the porous layer.
- Stress (with elasticity, volumetric growth of the plated Li): the largest
  maximum principal stress in the dense layer and in the porous skeleton,
  with the current and at zero current (the capillary relaxation of the
  pore shapes alone).

Prints the tables and writes garnet_bilayer.png.
usage: garnet_bilayer.py <path to dendra-host> [mpirun ranks] [output folder]
"""
import os
import sys

from hosts import arguments, column, run_app

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "..", "apps", "dendra-host")
sys.path.insert(0, os.path.join(HERE, "..", "deposition"))
import vtu_tools  # noqa: E402

WIDTH, HEIGHT = 20e-6, 18e-6  # m: the bilayer
# Layers from the bottom (m): Li electrode, porous LLZO (lower, upper half), dense LLZO.
BANDS = [("Li electrode", 0, 2e-6), ("porous, lower half", 2e-6, 7e-6), ("porous, upper half", 7e-6, 12e-6),
         ("dense LLZO", 12e-6, 18e-6)]
PIXEL = 0.1e-6  # m


def last(rows, name):
    return column(rows, name)[-1]


def overpotentials(rows):
    """(kinetic, ohmic) overpotential at the end (V), positive: -electrode potential, -(metal - top)."""
    return -last(rows, "electrode_potential"), -last(rows, "cell_voltage")


def final_phase(folder, n_steps):
    """The Li phase of the last step of the run in @p folder, rasterised (rows top to bottom)."""
    pieces = vtu_tools.read_pvtu(os.path.join(folder, "solution", f"solution_{n_steps:04d}.pvtu"))
    return vtu_tools.raster(pieces, "li_phase", (0, 0), (WIDTH, HEIGHT), PIXEL)


def plated_by_band(plated_folder, resting_folder, n_steps):
    """The Li the current added: the Li phase after 10 s with the current minus that after 10 s without
    (which only relaxes), per band (m^2), and as a map."""
    with_current, without = final_phase(plated_folder, n_steps), final_phase(resting_folder, n_steps)
    change = [[(b or 0) - (a or 0) for a, b in zip(ra, rb)] for ra, rb in zip(without, with_current)]
    rows = len(change)
    volumes = []
    for _, bottom, top in BANDS:
        total = 0
        for r, row in enumerate(change):
            y = (rows - r - 0.5) * PIXEL
            if bottom <= y < top:
                total += sum(row) * PIXEL * PIXEL
        volumes.append(total)
    return volumes, change


def main():
    app, ranks, out, pictures = arguments("garnet-bilayer-output")
    bilayer_input = os.path.join(INPUTS, "garnet_bilayer_2d.prm")
    planar_input = os.path.join(INPUTS, "garnet_planar_2d.prm")
    no_vtu = ["Postprocess/Write vtu=false"]
    deposition_only = ["Simulation/Fields=deposition"]
    # Equal steps with and without current, so that the two phase fields can be subtracted.
    fixed_steps = ["Time stepping/Adaptive time stepping=false", "Time stepping/Initial time step=0.05"]
    bilayer = run_app(app, ranks, os.path.join(out, "bilayer"), deposition_only + fixed_steps, bilayer_input)
    bilayer_rest = run_app(app, ranks, os.path.join(out, "bilayer-rest-deposition"),
                           deposition_only + fixed_steps + ["Current program/Steps=rest 10"], bilayer_input)
    planar = run_app(app, ranks, os.path.join(out, "planar"), deposition_only + no_vtu, planar_input)
    stressed = run_app(app, ranks, os.path.join(out, "bilayer-stress"), no_vtu, bilayer_input)
    resting = run_app(app, ranks, os.path.join(out, "bilayer-rest"), no_vtu + ["Current program/Steps=rest 10"],
                      bilayer_input)

    print("(d) Garnet bilayer against planar Li | LLZO, 100 A/m^2 for 10 s (single-ion LLZO, 0.05 S/m, "
          "i0 = 7.6 A/m^2)")
    print(f"{'cell':<40} {'kinetic (mV)':>12} {'ohmic (mV)':>11} {'total (mV)':>11}")
    cells = [("bilayer (10 um porous + 6 um dense)", bilayer), ("planar Li | 16 um LLZO", planar),
             ("bilayer with stress feedback", stressed)]
    results = {}
    for label, rows in cells:
        kinetic, ohmic = overpotentials(rows)
        results[label] = (kinetic, ohmic)
        print(f"{label:<40} {1e3 * kinetic:12.1f} {1e3 * ohmic:11.1f} {1e3 * (kinetic + ohmic):11.1f}")

    plated = 100 * 10 * WIDTH * 1.30e-5 / 96485.33212  # m^2: Faraday
    volumes, change = plated_by_band(os.path.join(out, "bilayer"), os.path.join(out, "bilayer-rest-deposition"),
                                     len(bilayer))
    print(f"\nWhere the current puts Li (bilayer, Li phase with minus without current after 10 s; "
          f"{plated:.3g} m^2 plated by Faraday's law)")
    for (label, _, _), v in zip(BANDS, volumes):
        print(f"{label:<22} {v:10.3g} m^2 {100 * v / plated:7.1f} %")
    outside = column(bilayer, "li_volume_outside_host")
    outside_at_rest = column(bilayer_rest, "li_volume_outside_host")
    print(f"Li above the porous layer: {outside[0]:.3g} -> {outside[-1]:.3g} m^2 with current, "
          f"-> {outside_at_rest[-1]:.3g} m^2 without")

    print("\nLargest maximum principal stress after 10 s (MPa), linear-elastic Li (no creep)")
    print(f"{'run':<34} {'dense LLZO':>11} {'porous skeleton':>16}")
    for label, rows in (("100 A/m^2", stressed), ("no current (relaxation only)", resting)):
        print(f"{label:<34} {1e-6 * last(rows, 'max_principal_stress_LLZO'):11.0f} "
              f"{1e-6 * last(rows, 'max_principal_stress_Porous_LLZO'):16.0f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (bars, picture) = plt.subplots(1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [1, 1.3]})
    labels = ["bilayer", "planar"]
    kinetic = [1e3 * results[cells[k][0]][0] for k in range(2)]
    ohmic = [1e3 * results[cells[k][0]][1] for k in range(2)]
    bars.bar(labels, kinetic, label="kinetic")
    bars.bar(labels, ohmic, bottom=kinetic, label="ohmic")
    bars.set_ylabel("overpotential at 100 A/m^2 (mV)")
    bars.legend(fontsize=8)
    limit = max(max(abs(v) for v in row) for row in change) or 1
    image = picture.imshow(change, extent=(0, 1e6 * WIDTH, 0, 1e6 * HEIGHT), cmap="RdBu_r", vmin=-limit,
                           vmax=limit)
    for _, bottom, _ in BANDS[1:]:
        picture.axhline(1e6 * bottom, color="grey", lw=0.6, ls=":")
    picture.set_title("Li added by the current in 10 s (bilayer)", fontsize=9)
    picture.set_xlabel("x (um)")
    picture.set_ylabel("y (um)")
    fig.colorbar(image, ax=picture, shrink=0.8)
    fig.tight_layout()
    fig.savefig(os.path.join(pictures, "garnet_bilayer.png"), dpi=120)


if __name__ == "__main__":
    main()
