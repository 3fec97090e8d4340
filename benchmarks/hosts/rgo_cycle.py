#!/usr/bin/env python3
"""Validation study (c) of plating in hosts (issue 5), with dendra-host:
the thickness change of a Li-rGO electrode over one plate/strip cycle against
bare Li that holds the same Li (published: about 20 % against about 100 %).

Runs apps/dendra-host/rgo_cycle_2d.prm and bare_li_cycle_2d.prm (one cycle
at 1000 A/m^2 that plates as much Li as the electrode holds, then strips it),
prints the table and writes rgo_cycle.png (thickness change against time and
the Li-rGO electrode at the end of plating).
usage: rgo_cycle.py <path to dendra-host> [mpirun ranks] [output folder]
"""
import os
import sys

from hosts import arguments, column, run_app

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "..", "apps", "dendra-host")
sys.path.insert(0, os.path.join(HERE, "..", "deposition"))
import vtu_tools  # noqa: E402

BARE_FILM = 1.125e-6  # m: the bare Li film of bare_li_cycle_2d.prm (the rGO electrode's Li)
BARE_WIDTH = 2e-6  # m: its Y extent
PLATING_END = 8.35  # s: the programs' plating step


def plating_end(times):
    """Index of the row nearest to the end of plating."""
    return min(range(len(times)), key=lambda k: abs(times[k] - PLATING_END))


def bare_thickness_change(rows):
    """Thickness change of the bare film (%): its Li volume per width against the initial film."""
    return [100 * (v / BARE_WIDTH - BARE_FILM) / BARE_FILM for v in column(rows, "li_volume")]


def summary(times, change):
    """(largest change, change at the end of plating, change at the end) (%)."""
    return max(change, key=abs), change[plating_end(times)], change[-1]


def inside_fraction(rows):
    """Fraction of the Li plated until the end of plating that lies inside the host."""
    k = plating_end(column(rows, "time"))
    inside, outside = column(rows, "li_volume_inside_host"), column(rows, "li_volume_outside_host")
    d_in, d_out = inside[k] - inside[0], outside[k] - outside[0]
    return d_in / (d_in + d_out)


def picture(folder, times):
    """The Li phase of the rGO run at the end of plating, rasterised (rows top to bottom)."""
    k = plating_end(times)
    pieces = vtu_tools.read_pvtu(os.path.join(folder, "solution", f"solution_{k + 1:04d}.pvtu"))
    return (vtu_tools.raster(pieces, "li_phase", (0, 0), (10e-6, 12.5e-6), 0.05e-6),
            vtu_tools.raster(pieces, "material_id", (0, 0), (10e-6, 12.5e-6), 0.05e-6))


def main():
    app, ranks, out, pictures = arguments("rgo-cycle-output")
    rgo_folder = os.path.join(out, "rgo")
    rgo = run_app(app, ranks, rgo_folder, [], os.path.join(INPUTS, "rgo_cycle_2d.prm"))
    bare = run_app(app, ranks, os.path.join(out, "bare"), ["Postprocess/Write vtu=false"],
                   os.path.join(INPUTS, "bare_li_cycle_2d.prm"))
    rgo_t, rgo_change = column(rgo, "time"), column(rgo, "thickness_change")
    bare_t, bare_change = column(bare, "time"), bare_thickness_change(bare)
    print("(c) Thickness change over one cycle (plate 1000 A/m^2 for 8.35 s, strip as long), the Li of the "
          "electrode cycled once")
    print(f"{'electrode':<34} {'largest':>8} {'end of plating':>15} {'end of cycle':>13} {'plated inside':>14}")
    rows = [("Li-rGO (3 sheets, 1 um gaps)", summary(rgo_t, rgo_change), inside_fraction(rgo)),
            ("bare Li (1.125 um film)", summary(bare_t, bare_change), None)]
    for label, (largest, plated, end), inside in rows:
        inside_text = f"{inside:14.2f}" if inside is not None else f"{'-':>14}"
        print(f"{label:<34} {largest:7.1f}% {plated:14.1f}% {end:12.1f}% {inside_text}")
    print(f"{'published (Lin et al. 2016)':<34} {'~20% vs ~100%':>8}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    phase, material = picture(rgo_folder, rgo_t)
    fig, (ax, pic) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.4, 1]})
    ax.plot(bare_t, bare_change, label="bare Li")
    ax.plot(rgo_t, rgo_change, label="Li-rGO")
    ax.axvline(PLATING_END, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("time (s): plating, then stripping")
    ax.set_ylabel("electrode thickness change (%)")
    ax.legend(fontsize=8)
    rgb = [[(0.1, 0.1, 0.1) if m is not None and round(m) == 4 else
            tuple(1 - 0.6 * max(0.0, min(1.0, x if x is not None else 0)) * c for c in (1, 1, 0.7)) for x, m in
            zip(prow, mrow)] for prow, mrow in zip(phase, material)]
    pic.imshow(rgb, extent=(0, 10, 0, 12.5))
    pic.set_title("Li-rGO at the end of plating", fontsize=9)
    pic.set_xlabel("x (um)")
    pic.set_ylabel("y (um)")
    fig.tight_layout()
    fig.savefig(os.path.join(pictures, "rgo_cycle.png"), dpi=120)


if __name__ == "__main__":
    main()
