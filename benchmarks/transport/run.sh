#!/usr/bin/env bash
# Cost of one Newton step of the 3D coupled transport system (c, Phi; Q1;
# GMRES with the block AMG preconditioner) against one Poisson solve
# (electrostatics, AMG-CG) on the same mesh, on 2 MPI ranks, at three
# refinement levels; prints a table.
# Usage: benchmarks/transport/run.sh [build dir]   (a Release build; default: build/)
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${1:-${DENDRA_BUILD_DIR:-$source_dir/build}}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" --target dendra-benchmark-transport -j "$(nproc)" > /dev/null
bench="$build_dir/bin/dendra-benchmark-transport"

printf '| %5s | %14s | %12s | %19s | %19s | %12s | %17s | %13s |\n' \
  ranks "transport DoFs" "Newton steps" "s per Newton step" "GMRES its per step" "Poisson DoFs" "s per Poisson solve" "ratio"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------- ---------------- -------------- --------------------- \
  --------------------- -------------- ------------------- ---------------
for n in 16 32 64; do
  mpirun -np 2 "$bench" "$n" | while read -r ranks dofs newton per_step gmres pdofs per_poisson ratio; do
    printf '| %5s | %14s | %12s | %19s | %19s | %12s | %17s | %13s |\n' \
      "$ranks" "$dofs" "$newton" "$per_step" "$gmres" "$pdofs" "$per_poisson" "$ratio"
  done
done
echo "GMRES (right-preconditioned) to the inexact-Newton forcing term (1e-2, tightening to what the Newton tolerance needs); the preconditioner is set up once per time step; each time is the fastest of three runs."
