#!/usr/bin/env python3
"""Stress-driven plating decides where the Li goes (issue 20, item 3): runs
the coupled defect model (coupled_2d.prm) on the triangle of aspect ratio 3
at a galvanostatic current below the one that cracks it within seconds,
prints per load step the Li pressure in the defect, the defect's share of
the total current, the focusing factor (mean current density on the defect
and crack surfaces over the nominal one) and the largest damage, and plots
the first three against time. As the pressure rises, the mechanical
overpotential Omega_Li p / F lowers the defect's plating and the planar
interface takes the rest of the current.

Usage (from the repository root, after building in build/):
  python3 benchmarks/defect_failure/plating_competition.py
      [--binary build/bin/dendra-defect-study] [--current 15] [--end-time 60]
      [--work /tmp/plating_competition] [--png benchmarks/defect_failure/plating_competition.png]
"""
import argparse
import pathlib
import re
import sys

from amr_savings import input_2d, run

HERE = pathlib.Path(__file__).resolve().parent


def case_input(output, current, end_time):
    """amr_savings.input_2d (coupled_2d.prm on the triangle of aspect ratio 3) at @p current (A/m^2) to
    @p end_time (s), 5 s steps."""
    text = input_2d(output)
    edits = [(r"(?m)^  set Steps .*$", f"  set Steps = plate {current} 1e9"),
             (r"(?m)^  set End time .*$", f"  set End time = {end_time}"),
             (r"(?m)^  set Number of steps .*$", f"  set Number of steps = {round(end_time / 5)}")]
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            sys.exit(f"plating_competition: coupled_2d.prm has {count} lines matching {pattern!r}, expected one")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="build/bin/dendra-defect-study")
    parser.add_argument("--current", type=float, default=15.0, help="applied current density (A/m^2)")
    parser.add_argument("--end-time", type=float, default=60.0, help="plating time (s)")
    parser.add_argument("--work", default="/tmp/plating_competition")
    parser.add_argument("--png", default=str(HERE / "plating_competition.png"))
    args = parser.parse_args()
    binary = pathlib.Path(args.binary).resolve()
    if not binary.is_file():
        sys.exit(f"plating_competition: --binary {binary}: no such file (build first)")
    if args.current <= 0 or args.end_time < 5:
        sys.exit("plating_competition: --current must be > 0 A/m^2 and --end-time at least one 5 s step")

    rows = run(str(binary), case_input("case", args.current, args.end_time), pathlib.Path(args.work), "case", 1)

    time = [float(r["time[s]"]) for r in rows]
    pressure = [float(r["li_pressure[Pa]"]) / 1e6 for r in rows]
    share = [100 * float(r["filling_current_share"]) for r in rows]
    focusing = [float(r["focusing_factor"]) for r in rows]
    damage = [float(r["max_damage"]) for r in rows]
    print(f"triangle AR 3 at {args.current:g} A/m^2 ({args.current / 10:g} mA/cm^2)")
    print(f"{'t [s]':>7} {'Li pressure [MPa]':>18} {'defect share [%]':>17} {'focusing':>9} {'max d':>7}")
    for row in zip(time, pressure, share, focusing, damage):
        print(f"{row[0]:7.4g} {row[1]:18.1f} {row[2]:17.2f} {row[3]:9.3f} {row[4]:7.3f}")

    try:
        import matplotlib
    except ImportError:
        print("no plot: this Python has no matplotlib (Debian: python3-matplotlib, for /usr/bin/python3)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(3, 1, sharex=True, figsize=(6, 7))
    for axis, values, label in zip(axes, (pressure, share, focusing),
                                   ("Li pressure [MPa]", "defect's share of the current [%]", "focusing factor [-]")):
        axis.plot(time, values, "o-")
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
    axes[-1].set_xlabel("time [s]")
    axes[0].set_title(f"Triangle defect, aspect ratio 3, {args.current / 10:g} mA/cm$^2$")
    figure.tight_layout()
    figure.savefig(args.png, dpi=120)
    print(f"plot: {args.png}")


if __name__ == "__main__":
    main()
