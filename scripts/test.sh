#!/usr/bin/env bash
# On a fresh Debian 12 machine: installs what is missing (Debian packages,
# a cached Kokkos), builds weft's tests and examples, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
kokkos_root=$(bash scripts/setup.sh | tail -n 1)
cmake --preset dev -DKokkos_ROOT="$kokkos_root"
cmake --build --preset dev -j "$(nproc)"
ctest --preset dev
