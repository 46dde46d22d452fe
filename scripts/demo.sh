#!/usr/bin/env bash
# On a fresh Debian 12 machine: installs what is missing, builds the examples
# and runs the demo (2-D heat diffusion on one device).
set -euo pipefail
cd "$(dirname "$0")/.."
kokkos_root=$(bash scripts/setup.sh | tail -n 1)
cmake --preset dev -DKokkos_ROOT="$kokkos_root" -DWEFT_BUILD_TESTS=OFF >/dev/null
cmake --build --preset dev -j "$(nproc)" --target heat2d_local
OMP_PROC_BIND=${OMP_PROC_BIND:-false} ./build/dev/examples/heat2d_local "$@"
