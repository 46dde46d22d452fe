#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Manual check, not part of CI (CI's time is spent on g++): builds weft's
# whole tree (tests and examples) with clang++ against an OpenMP Kokkos, in
# build/clang, and runs the tests. Installs Debian's clang and libomp-dev
# where missing. The Kokkos is scripts/setup.sh's (built with g++): clang's
# libomp provides the GOMP entry points it calls, so no second Kokkos build
# is needed. CLANG_CXX picks the compiler (default: clang++-14, or clang++).
#
#   bash scripts/clang_check.sh [ctest arguments, e.g. -R local]
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[weft clang check] $*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in clang libomp-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
clang_cxx="${CLANG_CXX:-$(command -v clang++-14 || command -v clang++)}"
log "compiler: $clang_cxx ($("$clang_cxx" --version | head -n 1))"

kokkos_root=$(bash scripts/setup.sh | tail -n 1)
cmake --preset dev -B build/clang -DCMAKE_CXX_COMPILER="$clang_cxx" -DKokkos_ROOT="$kokkos_root"
cmake --build build/clang -j "$(nproc)"
OMP_PROC_BIND=false ctest --test-dir build/clang --output-on-failure "$@"
