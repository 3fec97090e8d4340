#!/usr/bin/env bash
# run_case.sh <dendra> <ranks> <input.prm|-> <expected.csv> <work dir> <mpiexec>
# Runs dendra in <work dir> and compares its statistics.csv with the expected one.
set -euo pipefail
app=$1 ranks=$2 input=$3 expected=$4 work=$5 mpiexec=$6
rm -rf "$work" && mkdir -p "$work" && cd "$work"
if [ "$input" = "-" ]; then
  "$mpiexec" -np "$ranks" "$app"
else
  "$mpiexec" -np "$ranks" "$app" "$input"
fi
python3 "$(dirname "$0")/compare_csv.py" "$expected" dendra-output/statistics.csv
