#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# On a fresh Debian 12 machine: installs what is missing (Debian packages,
# cached Kokkos builds), builds weft's tests and examples, and runs the whole
# suite; then builds the tests and examples again under AddressSanitizer and
# UndefinedBehaviorSanitizer, against a Kokkos that checks every View access,
# and runs them again (the `sanitize` presets). WEFT_SKIP_SANITIZE=1 skips
# that second pass, for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
kokkos_root=$(bash scripts/setup.sh | tail -n 1)
# Compilations are cached (ccache, installed by setup.sh) beside the Kokkos
# builds, keyed on paths relative to the checkout, so a fresh clone rebuilds
# only what its changes touch.
launcher=()
if command -v ccache > /dev/null; then
  export CCACHE_DIR="${CCACHE_DIR:-${WEFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft}/ccache}"
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-8G}"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake --preset dev -DKokkos_ROOT="$kokkos_root" "${launcher[@]}"
cmake --build --preset dev -j "$(nproc)"
ctest --preset dev -j "$(nproc)"
if [ "${WEFT_SKIP_SANITIZE:-0}" != 1 ]; then
  checked_root=$(bash scripts/setup.sh bounds-check | tail -n 1)
  cmake --preset sanitize -DKokkos_ROOT="$checked_root" "${launcher[@]}"
  cmake --build --preset sanitize -j "$(nproc)"
  ctest --preset sanitize -j "$(nproc)"
fi
