#!/usr/bin/env python3
"""Validation studies of plating in hosts (issue 5), with dendra-host:

(a) Tip focusing: the plating current density on the upper half of Cu cones
    (tips) against the base between them, for cones of falling tip radius
    (sharper tips), pillars, and the mouths of microchannels against the top
    face and the channel bottoms; averaged over the first 0.5 s at 1000 A/m^2.
(b) Li inside a 3D host: the fraction of the plated Li that lands inside the
    envelope of Cu pillars of rising height (area ratio r), after 2 s at
    1000 A/m^2, against the estimate (r - 1) / r and against the split of a
    uniform current density (floor and walls inside, tops outside).

Prints the tables and writes tip_focusing.png and inside_fraction.png.
usage: hosts.py <path to dendra-host> [mpirun ranks] [output folder]
"""
import csv
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FOCUS_TIME = 0.5  # s
FILL_TIME = 2.0  # s
CURRENT = 1000.0  # A/m^2
PITCH = 8e-6  # m
# Liquid electrolyte (Chen et al.) and 100 times less: Wagner numbers 7.6 and 0.076.
CONDUCTIVITIES = [1.19, 0.0119]  # S/m
# (a): name, label, tip radius (m) or None for the other features, settings.
FOCUS_CASES = [
    ("cone-1.5", "cone, tip radius 1.5 um", 1.5e-6, []),
    ("cone-1.0", "cone, tip radius 1.0 um", 1.0e-6, []),
    ("cone-0.5", "cone, tip radius 0.5 um", 0.5e-6, []),
    ("pillar", "pillar, radius 1 um", None,
     ["Geometry/Cu collector/Feature=cylinder", "Geometry/Cu collector/Feature radius=1e-6"]),
    ("channels", "channel 3 um wide, 3 um deep", None, ["Geometry/Cu collector/Feature=channels"]),
]
# (b): pillars of radius 1 um and these heights (m).
PILLAR_HEIGHTS = [1e-6, 2e-6, 4e-6, 6e-6]
PILLAR_RADIUS = 1e-6  # m


def arguments(default_output):
    """(app, ranks, output folder, picture folder) from the command line
    <app> [ranks] [output folder]: pictures go next to the script unless an
    output folder is given."""
    app = sys.argv[1]
    ranks = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    out = sys.argv[3] if len(sys.argv) > 3 else default_output
    os.makedirs(out, exist_ok=True)
    return app, ranks, out, HERE if len(sys.argv) <= 3 else out


def run_app(app, ranks, folder, settings, input_file=None):
    """Runs @p app (on @p input_file, if given) with the --set @p settings into
    @p folder; returns the rows of its statistics.csv."""
    command = ([] if ranks == 1 else ["mpirun", "-np", str(ranks)]) + [app] + ([input_file] if input_file else [])
    for s in settings + ["Output directory=" + folder]:
        command += ["--set", s]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return list(csv.DictReader(open(os.path.join(folder, "statistics.csv"))))


def run(app, ranks, folder, settings):
    """dendra-host's default (Cu collector) with one feature, no elasticity, no vtu."""
    return run_app(app, ranks, folder, settings + ["Postprocess/Write vtu=false", "Simulation/Fields=deposition",
                                                   "Geometry/Cu collector/Feature count=1"])


def column(rows, name):
    key = next(k for k in rows[0] if k.split("[")[0] == name)
    return [float(r[key]) for r in rows]


def time_average(rows, name):
    """Mean of a column over the run, weighted by the time steps."""
    steps, values = column(rows, "time_step"), column(rows, name)
    return sum(s * v for s, v in zip(steps, values)) / sum(steps)


def tip_focusing(app, ranks, out):
    print(f"(a) Current focusing, {CURRENT:g} A/m^2, mean over the first {FOCUS_TIME} s, at two electrolyte "
          "conductivities (Wagner numbers)")
    print(f"{'case':<30} {'sigma (S/m)':>11} {'Wa':>6} {'tip':>6} {'side':>6} {'base':>6} {'bottom':>6} "
          f"{'tip/base':>9} {'tip/bottom':>10}   (A/m^2)")
    results = []
    for name, label, tip_radius, settings in FOCUS_CASES:
        extra = [] if tip_radius is None else [f"Geometry/Cu collector/Tip radius={tip_radius}"]
        for sigma in CONDUCTIVITIES:
            rows = run(app, ranks, os.path.join(out, f"focus-{name}-{sigma:g}"),
                       settings + extra + [f"Simulation/End time={FOCUS_TIME}",
                                           f"Current program/Steps=plate {CURRENT} {FOCUS_TIME}",
                                           f"Materials/Liquid electrolyte/Ionic conductivity={sigma}"])
            j = {r: time_average(rows, "plating_current_density_" + r) for r in ("tip", "side", "base", "bottom")}
            ratio = j["tip"] / j["base"]
            bottom = j["tip"] / j["bottom"] if j["bottom"] > 0 else float("nan")
            results.append((name, label, tip_radius, sigma, j, ratio, bottom))
            print(f"{label:<30} {sigma:11.4g} {wagner(sigma):6.2f} {j['tip']:6.0f} {j['side']:6.0f} "
                  f"{j['base']:6.0f} {j['bottom']:6.0f} {ratio:9.2f} {bottom:10.2f}")
    return results


def wagner(sigma):
    """Wa = sigma (d eta / d i) / L: Tafel slope R T / (alpha F i) at i = CURRENT, L = PITCH."""
    return sigma * 8.314462618 * 298.15 / (0.5 * 96485.33212 * CURRENT) / PITCH


def inside_fraction(app, ranks, out):
    print(f"\n(b) Li inside Cu pillars (radius 1 um, pitch 8 um), {CURRENT:g} A/m^2 for {FILL_TIME} s")
    print(f"{'height (um)':>11} {'r':>6} {'(r-1)/r':>8} {'uniform j':>9} {'inside':>7} {'inside/estimate':>16}")
    results = []
    for h in PILLAR_HEIGHTS:
        r = 1 + 2 * h / PITCH  # 2D: two walls of height h per pitch
        rows = run(app, ranks, os.path.join(out, f"fill-{h * 1e6:g}"),
                   ["Geometry/Cu collector/Feature=cylinder", f"Geometry/Cu collector/Feature radius={PILLAR_RADIUS}",
                    f"Geometry/Cu collector/Feature height={h}", f"Simulation/End time={FILL_TIME}",
                    f"Current program/Steps=plate {CURRENT} {FILL_TIME}"])
        inside, outside = column(rows, "li_volume_inside_host"), column(rows, "li_volume_outside_host")
        # Plated since the first step (the wetting film is not plated Li).
        d_in, d_out = inside[-1] - inside[0], outside[-1] - outside[0]
        fraction = d_in / (d_in + d_out)
        estimate = (r - 1) / r
        # Uniform current density: the floor and the walls are inside, the tops outside.
        uniform = (PITCH - 2 * PILLAR_RADIUS + 2 * h) / (PITCH + 2 * h)
        results.append((h, r, estimate, fraction, uniform))
        print(f"{h * 1e6:11.1f} {r:6.2f} {estimate:8.3f} {uniform:9.3f} {fraction:7.3f} {fraction / estimate:16.2f}")
    return results


def plots(focus, fill, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for sigma, colour in zip(CONDUCTIVITIES, ("tab:blue", "tab:orange")):
        cones = [(1e-6 / f[2], f[5]) for f in focus if f[2] is not None and f[3] == sigma]
        ax.plot([c[0] for c in cones], [c[1] for c in cones], "o-", color=colour,
                label=f"cones, sigma = {sigma:g} S/m (Wa = {wagner(sigma):.2g})")
        for name, label, tip_radius, s, j, ratio, bottom in focus:
            if tip_radius is None and s == sigma:
                ax.plot([0.5], [ratio], "s" if name == "pillar" else "^", color=colour)
                ax.annotate(name, (0.5, ratio), textcoords="offset points", xytext=(6, -3), fontsize=7)
    ax.set_xlabel("tip sharpness 1 / tip radius (1/um); pillar, channel mouth at 0.5")
    ax.set_ylabel("j_tip / j_base (-)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "tip_focusing.png"), dpi=120)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    rs = [f[1] for f in fill]
    ax.plot(rs, [f[3] for f in fill], "o-", label="dendra-host, pillars")
    ax.plot(rs, [f[2] for f in fill], "k--", label="(r - 1) / r")
    ax.plot(rs, [f[4] for f in fill], "k:", label="uniform current density")
    ax.set_xlabel("area ratio r (-)")
    ax.set_ylabel("fraction of Li plated inside (-)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "inside_fraction.png"), dpi=120)


def main():
    app, ranks, out, pictures = arguments("hosts-output")
    focus = tip_focusing(app, ranks, out)
    fill = inside_fraction(app, ranks, out)
    plots(focus, fill, pictures)


if __name__ == "__main__":
    main()
