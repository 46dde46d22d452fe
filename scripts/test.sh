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
cmake --preset dev -DKokkos_ROOT="$kokkos_root"
cmake --build --preset dev -j "$(nproc)"
ctest --preset dev -j "$(nproc)"
if [ "${WEFT_SKIP_SANITIZE:-0}" != 1 ]; then
  checked_root=$(bash scripts/setup.sh bounds-check | tail -n 1)
  cmake --preset sanitize -DKokkos_ROOT="$checked_root"
  cmake --build --preset sanitize -j "$(nproc)"
  ctest --preset sanitize -j "$(nproc)"
fi
