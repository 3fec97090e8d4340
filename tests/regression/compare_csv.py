#!/usr/bin/env python3
"""Compares two statistics.csv files column by column with tolerances.

Usage: compare_csv.py expected.csv actual.csv [--rtol 1e-6] [--atol 1e-12]
Columns about run time or effort (wall_time, *_cg_iterations) are not compared:
they depend on the machine and the rank count. Exit code 1 on a mismatch.
"""
import argparse
import csv
import math
import sys

IGNORED = ("wall_time", "cg_iterations")


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-12)
    args = parser.parse_args()
    expected, actual = read(args.expected), read(args.actual)
    if len(expected) != len(actual):
        print(f"row count differs: expected {len(expected)}, got {len(actual)}")
        return 1
    failures = 0
    for i, (e, a) in enumerate(zip(expected, actual)):
        for column, value in e.items():
            if any(word in column for word in IGNORED):
                continue
            if column not in a:
                print(f"row {i}: column {column} missing")
                failures += 1
                continue
            x, y = float(value), float(a[column])
            if not math.isclose(x, y, rel_tol=args.rtol, abs_tol=args.atol):
                print(f"row {i}: {column}: expected {x!r}, got {y!r}")
                failures += 1
    print("compare_csv: %d mismatches" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
