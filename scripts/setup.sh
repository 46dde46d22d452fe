#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Installs what weft's build, tests and benchmarks need on a Debian 12 machine,
# only where it is missing, and prints the Kokkos install prefix on its last line.
#
#   scripts/setup.sh              # Debian packages + Kokkos (cached)
#   scripts/setup.sh bounds-check # the same, and a Kokkos with bounds checking
#                                 # for the sanitizer build (cached beside it)
#
# Kokkos: an installed Kokkos is used when Kokkos_ROOT (or WEFT_KOKKOS_ROOT)
# points at one. Otherwise Kokkos 3.4.01 (Serial + OpenMP, C++20) is built from
# the Kokkos tree inside Debian's `trilinos` source package into a per-user
# cache prefix, once; later runs reuse it. With `bounds-check`, the Kokkos
# built is the same with Kokkos_ENABLE_DEBUG_BOUNDS_CHECK (every View access
# checked), and the Kokkos_ROOT variables are ignored.
set -euo pipefail
variant="${1:-}"
case "$variant" in
  "" | bounds-check) ;;
  *) echo "usage: scripts/setup.sh [bounds-check]" >&2; exit 2 ;;
esac

log() { echo "[weft setup] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

cache_root="${WEFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft}"
mkdir -p "$cache_root"

# A private apt configuration for the extra sources we need (deb-src for
# trilinos, bookworm-backports for Catch2 v3), so the system's sources are not touched.
apt_private_dir="$cache_root/apt"
apt_private_opts=(-o "APT::Sandbox::User=root" -o "Dir::Etc::sourcelist=$apt_private_dir/sources.list"
                  -o "Dir::Etc::sourceparts=/nonexistent"
                  -o "Dir::State::Lists=$apt_private_dir/lists")
apt_private_ready=0
apt_private_update() {
  [ "$apt_private_ready" -eq 1 ] && return 0
  mkdir -p "$apt_private_dir/lists/partial"
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  cat > "$apt_private_dir/sources.list" <<LIST
deb http://deb.debian.org/debian $codename main
deb http://deb.debian.org/debian ${codename}-backports main
deb-src http://deb.debian.org/debian $codename main
LIST
  log "apt-get update (private lists: $codename, ${codename}-backports, deb-src)"
  as_root apt-get "${apt_private_opts[@]}" update -qq
  apt_private_ready=1
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# --- Debian packages -------------------------------------------------------
# python3-sklearn and python3-skimage carry the real data of the examples
# train_digits (the UCI digits) and image_filter (photographs); zlib1g-dev
# reads the digits' gzip file. Doxygen, Sphinx, MyST, breathe and furo build
# the documentation site (scripts/docs.sh; ctest docs.site).
packages=(g++ make cmake ccache libopenmpi-dev openmpi-bin libbenchmark-dev
          python3-matplotlib libpng-dev zlib1g-dev libhdf5-openmpi-dev python3-h5py
          python3-sklearn python3-skimage
          doxygen python3-sphinx python3-myst-parser python3-breathe furo)
missing=()
for p in "${packages[@]}"; do is_installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Catch2 v3: Debian 12 ships it in bookworm-backports only.
if ! is_installed libcatch2-dev || ! dpkg-query -W -f='${Version}' libcatch2-dev | grep -q '^3'; then
  apt_private_update
  log "installing libcatch2-dev (v3) from backports"
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  DEBIAN_FRONTEND=noninteractive as_root apt-get "${apt_private_opts[@]}" install -y -qq \
    --no-install-recommends -t "${codename}-backports" libcatch2-dev >/dev/null
fi

# --- Kokkos ------------------------------------------------------------------
kokkos_root="${WEFT_KOKKOS_ROOT:-${Kokkos_ROOT:-}}"
[ "$variant" = bounds-check ] && kokkos_root=""
if [ -n "$kokkos_root" ]; then
  log "using the Kokkos at $kokkos_root"
else
  kokkos_version=3.4.01
  kokkos_root="$cache_root/kokkos-$kokkos_version-openmp-cxx20"
  kokkos_options=()
  if [ "$variant" = bounds-check ]; then
    kokkos_root="$kokkos_root-boundscheck"
    kokkos_options=(-DKokkos_ENABLE_DEBUG_BOUNDS_CHECK=ON)
  fi
  if ! ls "$kokkos_root"/lib*/cmake/Kokkos/KokkosConfig.cmake >/dev/null 2>&1; then
    apt_private_update
    work=$(mktemp -d "$cache_root/kokkos-build.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    log "fetching Debian's trilinos source package (carries Kokkos $kokkos_version)"
    (cd "$work" && apt-get "${apt_private_opts[@]}" source --download-only -qq trilinos >/dev/null 2>&1)
    tar -xzf "$work"/trilinos_*.orig.tar.gz -C "$work" --wildcards '*/packages/kokkos/*'
    src=$(echo "$work"/*/packages/kokkos)
    grep -q "$kokkos_version" "$src/master_history.txt" || log "warning: expected Kokkos $kokkos_version in $src"
    log "building Kokkos (Serial + OpenMP, C++20${variant:+, $variant}) into $kokkos_root"
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_PREFIX="$kokkos_root" -DCMAKE_CXX_STANDARD=20 \
      -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_OPENMP=ON "${kokkos_options[@]}" \
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON >"$work/configure.log" 2>&1 \
      || { cat "$work/configure.log" >&2; exit 1; }
    cmake --build "$work/build" -j "$(nproc)" >"$work/build.log" 2>&1 \
      || { tail -50 "$work/build.log" >&2; exit 1; }
    cmake --install "$work/build" >/dev/null
  fi
fi
echo "$kokkos_root"
