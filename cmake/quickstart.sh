#!/usr/bin/env bash
# Quick start: installs dependencies, builds Dendra (Release, ccache) and then
#   run   runs the main job: the defect failure study (`dendra-defect-study` on its
#         built-in default input) on 2 MPI ranks
#   test  runs the whole test suite (ctest: unit, MPI and regression tests)
# Environment: DENDRA_BUILD_DIR (default: build/ in the source tree).
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${DENDRA_BUILD_DIR:-$source_dir/build}
what=${1:-}
if [ "$what" != run ] && [ "$what" != test ]; then
  echo "usage: cmake/quickstart.sh run|test" >&2
  exit 2
fi

bash "$source_dir/cmake/install_dependencies.sh"
# Open MPI refuses to run as root unless told it is fine (containers, CI).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$(nproc)"

case "$what" in
  run) mpirun -np 2 "$build_dir/bin/dendra-defect-study" ;;
  test) cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" ;;
esac
