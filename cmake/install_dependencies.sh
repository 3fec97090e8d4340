#!/usr/bin/env bash
# Installs what Dendra needs on Debian bookworm. Idempotent: when everything is
# present it only runs dpkg queries and returns within a second.
set -euo pipefail

packages=(
  libdeal.ii-dev   # deal.II 9.4 with MPI, p4est, PETSc, Trilinos
  catch2           # unit tests (v2)
  cmake g++ make ccache
  openmpi-bin libopenmpi-dev
  numdiff          # regression comparisons with tolerances
  python3 python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install_dependencies.sh: run as root (or install these packages yourself): ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
