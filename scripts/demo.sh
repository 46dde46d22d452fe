#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# On a fresh Debian 12 machine: installs what is missing, builds the examples
# and runs the demo: 2-D heat diffusion on a distributed grid over 2 MPI
# ranks, writing PNG pictures of the field.
#   bash scripts/demo.sh [n] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
kokkos_root=$(bash scripts/setup.sh | tail -n 1)
cmake --preset dev -DKokkos_ROOT="$kokkos_root" >/dev/null
cmake --build --preset dev -j "$(nproc)" --target heat2d
mkdir -p build/demo
rm -f build/demo/heat2d-*.png
# Two ranks on however many cores; Open MPI needs these to oversubscribe and
# to run as root (other MPIs ignore them).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_PROC_BIND=${OMP_PROC_BIND:-false}
mpiexec -n 2 ./build/dev/examples/heat2d "${1:-384}" "${2:-12000}" "$PWD/build/demo/heat2d"
echo "pictures: $PWD/build/demo/heat2d-*.png"
