#!/usr/bin/env bash
# `dendra --print-parameters` must print a valid input that reproduces the defaults.
set -euo pipefail
app=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$app" --print-parameters > all.prm
grep -q "Young's modulus" all.prm
grep -q "Pa" all.prm
"$app" all.prm > run.log
grep -q "Maximum principal stress in LLZO" run.log
