#!/usr/bin/env bash
# Times Dendra's elliptic solvers on the unit cube on 2 MPI ranks and prints a
# table: 3D Q1 Poisson up to 1.03 M DoFs, 3D Q1 elasticity up to 0.71 M DoFs.
# Usage: benchmarks/elliptic/run.sh [build dir]   (a Release build; default: build/)
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${1:-${DENDRA_BUILD_DIR:-$source_dir/build}}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" --target dendra-benchmark-elliptic -j "$(nproc)" > /dev/null
bench="$build_dir/bin/dendra-benchmark-elliptic"

printf '| %-13s | %5s | %9s | %9s | %12s | %13s | %9s | %6s | %15s |\n' \
  problem ranks DoFs "setup (s)" "assembly (s)" "AMG setup (s)" "solve (s)" "CG its" "s per M DoFs *"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------- ------- ----------- ----------- -------------- \
  --------------- ----------- -------- -----------------
run() {
  mpirun -np 2 "$bench" "$@" | while read -r problem degree ranks dofs setup assembly amg solve its per_mdof; do
    printf '| %-13s | %5s | %9s | %9s | %12s | %13s | %9s | %6s | %15s |\n' \
      "$problem $degree" "$ranks" "$dofs" "$setup" "$assembly" "$amg" "$solve" "$its" "$per_mdof"
  done
}
for n in 25 50 100; do run poisson "$n"; done
for n in 15 30 61; do run elasticity "$n"; done
echo "* (setup + assembly + AMG setup + solve) / (DoFs / 1e6); CG to a relative residual of 1e-8."
