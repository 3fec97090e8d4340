#!/usr/bin/env bash
# run_case.sh <app> <ranks> <input.prm|-> <expected.csv> <work dir> <mpiexec> [<output dir> [<app arguments>...]]
# Runs the app (- : on its built-in default) in <work dir> and compares its
# statistics.csv (in <output dir>, default dendra-output) with the expected one;
# further arguments go to the app after the input (e.g. --set "A/B=value").
set -euo pipefail
app=$1 ranks=$2 input=$3 expected=$4 work=$5 mpiexec=$6 output=${7:-dendra-output}
shift $(($# < 7 ? $# : 7))
rm -rf "$work" && mkdir -p "$work" && cd "$work"
if [ "$input" = "-" ]; then
  "$mpiexec" -np "$ranks" "$app" "$@"
else
  "$mpiexec" -np "$ranks" "$app" "$input" "$@"
fi
# DENDRA_COMPARE_OPTIONS: extra options of compare_csv.py (e.g. --magnitude COLUMN).
python3 "$(dirname "$0")/compare_csv.py" "$expected" "$output/statistics.csv" ${DENDRA_COMPARE_OPTIONS:-}
