#!/usr/bin/env python3
"""Compares two statistics.csv files column by column with tolerances.

Usage: compare_csv.py expected.csv actual.csv [--rtol 1e-6] [--atol 1e-12] [--noise-floor 1e-7]
Columns about run time or effort (wall_time, *_iterations) are not compared:
they depend on the machine and the rank count. Values are compared with the
relative tolerance, and absolutely down to a noise floor of 1e-7 times the
column's largest magnitude (iterative solves stop at 1e-8 relative, so a
quantity passing through zero, such as a cell voltage at rest, carries noise
of that order). Exit code 1 on a mismatch.
"""
import argparse
import csv
import math
import sys

IGNORED = ("wall_time", "iterations")
NOISE_FLOOR = 1e-7


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def li_volume_balance_failures(rows, molar_volume, faraday=96485.33212, tolerance=1e-6):
    """Rows where Omega Q / F differs from the cavity's growth plus the compression and extrusion."""
    failures = 0
    for i, row in enumerate(rows):
        value = lambda prefix: next(float(v) for k, v in row.items() if k.startswith(prefix + "["))
        plated = molar_volume * value("filling_charge") / faraday
        taken = (value("defect_volume_change") + value("crack_opening_volume") + value("li_compression_volume")
                 + value("extruded_volume"))
        if abs(plated - taken) > tolerance * value("li_volume"):
            print(f"row {i}: plated volume {plated!r} but the cavity, compression and extrusion take {taken!r}")
            failures += 1
    print("li volume balance: %d failures" % failures)
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-12)
    parser.add_argument("--magnitude", action="append", default=[],
                        help="compare the absolute value of this column (a coordinate across a symmetry plane)")
    parser.add_argument("--noise-floor", type=float, default=NOISE_FLOOR,
                        help="absolute tolerance relative to the column's largest magnitude")
    parser.add_argument("--li-volume-balance", type=float, metavar="MOLAR_VOLUME",
                        help="also check, on every row of the actual file, that the plated volume Omega Q / F equals "
                             "the defect's growth + the crack opening + the Li compression + the extruded volume "
                             "to 1e-6 of the Li volume (Omega in m^3/mol)")
    args = parser.parse_args()
    expected, actual = read(args.expected), read(args.actual)
    if args.li_volume_balance and li_volume_balance_failures(actual, args.li_volume_balance):
        return 1
    if len(expected) != len(actual):
        print(f"row count differs: expected {len(expected)}, got {len(actual)}")
        return 1
    failures = 0
    scale = {}
    for row in expected:
        for column, value in row.items():
            scale[column] = max(scale.get(column, 0.0), abs(float(value)))
    for i, (e, a) in enumerate(zip(expected, actual)):
        for column, value in e.items():
            if any(word in column for word in IGNORED):
                continue
            if column not in a:
                print(f"row {i}: column {column} missing")
                failures += 1
                continue
            x, y = float(value), float(a[column])
            if column.split("[")[0] in args.magnitude:
                x, y = abs(x), abs(y)
            floor = max(args.atol, args.noise_floor * scale[column])
            if not math.isclose(x, y, rel_tol=args.rtol, abs_tol=floor):
                print(f"row {i}: {column}: expected {x!r}, got {y!r}")
                failures += 1
    print("compare_csv: %d mismatches" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
