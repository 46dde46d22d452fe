#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Gathers weft's built programs into one self-contained folder that
# scripts/gpu_check.sh runs on another machine, with no build step there:
#
#   bash scripts/gpu_bundle.sh BUILD_DIR BUNDLE_DIR
#
#   BUNDLE_DIR/bin/          the test, example and benchmark programs found
#                            in BUILD_DIR, stripped (the ones missing are left out)
#   BUNDLE_DIR/lib/          the shared libraries they need beyond the C library
#                            (MPI, HDF5, libpng, Google Benchmark, the CUDA
#                            runtime, libstdc++, ...; Kokkos is linked in statically)
#   BUNDLE_DIR/mpi/          the Open MPI runtime those programs were linked
#                            against (mpiexec, its plugins and help files),
#                            relocated with OPAL_PREFIX by gpu_check.sh
#   BUNDLE_DIR/build-info.txt  the compiler, Kokkos version, devices and architecture
#   BUNDLE_DIR/reference/    with WEFT_BUNDLE_REFERENCE=CPU_BUILD_DIR: that build's
#                            reproducible sums, which gpu_check.sh compares bit for bit
#
# It builds nothing: configure and build BUILD_DIR first (README, "Running on
# a GPU"). WEFT_BUNDLE_NO_MPI=1 leaves the Open MPI runtime out (for a machine
# that has the same Open MPI installed).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: scripts/gpu_bundle.sh BUILD_DIR BUNDLE_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
bundle="$2"
mkdir -p "$bundle"
bundle=$(cd "$bundle" && pwd)
rm -rf "$bundle/bin" "$bundle/lib" "$bundle/mpi"
mkdir -p "$bundle/bin" "$bundle/lib"

# The programs gpu_check.sh runs, where the build made them.
programs=(tests/weft_local_tests tests/weft_reach_check tests/weft_local_environment_check
          tests/distributed/weft_distributed_tests tests/distributed/weft_environment_check
          tests/distributed/weft_hdf5_tests
          examples/heat2d_local examples/dot_norm examples/balance examples/poisson_cg
          examples/train_logreg examples/train_digits examples/heat2d examples/image_filter
          examples/gray_scott
          bench/weft-bench bench/weft-bench-distributed)
found=()
for p in "${programs[@]}"; do
  if [ -x "$build/$p" ]; then
    cp "$build/$p" "$bundle/bin/"
    strip --strip-unneeded "$bundle/bin/$(basename "$p")"
    found+=("$bundle/bin/$(basename "$p")")
  fi
done
if [ "${#found[@]}" -eq 0 ]; then
  echo "gpu_bundle.sh: no programs found in $build" >&2
  exit 1
fi

# Shared libraries, except the C library's own (always there, and tied to
# the machine's loader) and the CUDA driver (the GPU machine's own).
system_libs='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libresolv\.|libcuda\.)'
copy_libs() {
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
    while read -r name path; do
      if ! [[ "$name" =~ $system_libs ]] && [ ! -e "$bundle/lib/$name" ]; then
        cp -L "$path" "$bundle/lib/$name"
        strip --strip-unneeded "$bundle/lib/$name" 2>/dev/null || true
      fi
    done
}
copy_libs "${found[@]}"

# Open MPI: mpiexec and what it loads at run time (plugins, help texts),
# in a tree that mirrors its install prefix, for OPAL_PREFIX.
needs_mpi=$(ldd "${found[@]}" 2>/dev/null | grep -c 'libmpi\.so' || true)
if [ "${WEFT_BUNDLE_NO_MPI:-0}" != 1 ] && command -v ompi_info > /dev/null && [ "$needs_mpi" -gt 0 ]; then
  prefix=$(ompi_info --path prefix --parsable | sed 's/^path:prefix://')
  pkglibdir=$(ompi_info --path pkglibdir --parsable | sed 's/^path:pkglibdir://')
  pkgdatadir=$(ompi_info --path pkgdatadir --parsable | sed 's/^path:pkgdatadir://')
  bindir=$(ompi_info --path bindir --parsable | sed 's/^path:bindir://')
  mpi="$bundle/mpi"
  mkdir -p "$mpi/bin" "$mpi/${pkglibdir#"$prefix"/}" "$mpi/${pkgdatadir#"$prefix"/}"
  for tool in orterun orted; do
    cp -L "$bindir/$tool" "$mpi/bin/$tool"
  done
  ln -s orterun "$mpi/bin/mpiexec"
  # The plugins that a single machine's runs use; the network ones (InfiniBand,
  # UCX, OFI, ...) and the Fortran and Java ones stay behind.
  for plugin in "$pkglibdir"/mca_*.so; do
    case "$(basename "$plugin")" in
      *_ucx.so | *_openib.so | *_ofi.so | *_psm*.so | *_usnic.so | *_portals4.so | \
      mca_btl_tcp.so | *_slurm.so | *_gridengine.so | *_lsf.so | *_tm.so | *_flux.so) continue ;;
    esac
    cp "$plugin" "$mpi/${pkglibdir#"$prefix"/}/"
  done
  cp -r "$pkgdatadir/." "$mpi/${pkgdatadir#"$prefix"/}/"
  # PMIx's own plugins (Debian's Open MPI uses an external PMIx).
  pmix_lib=$(ldconfig -p | awk '/libpmix\.so\.2 / {print $NF; exit}')
  if [ -n "$pmix_lib" ]; then
    pmix_plugins=$(dirname "$(readlink -f "$pmix_lib")")/pmix2/lib/pmix
    [ -d "$pmix_plugins" ] || pmix_plugins=$(dirname "$pmix_lib")/pmix2/lib/pmix
    if [ -d "$pmix_plugins" ]; then
      mkdir -p "$mpi/pmix" && cp "$pmix_plugins"/*.so "$mpi/pmix/"
    fi
  fi
  strip --strip-unneeded "$mpi/bin/orterun" "$mpi/bin/orted" \
    "$mpi/${pkglibdir#"$prefix"/}"/*.so 2>/dev/null || true
  copy_libs "$mpi/bin/orterun" "$mpi/bin/orted" "$mpi/${pkglibdir#"$prefix"/}"/*.so
  # Where gpu_check.sh finds the plugins (relative to OPAL_PREFIX).
  echo "${pkglibdir#"$prefix"/}" > "$mpi/pkglibdir"
fi

# Reproducible sums of a CPU build, for gpu_check.sh to compare bit for bit
# with the GPU's: WEFT_BUNDLE_REFERENCE names that build (e.g. build/dev).
if [ -n "${WEFT_BUNDLE_REFERENCE:-}" ]; then
  mkdir -p "$bundle/reference"
  rm -f "$bundle/reference/local-reproducible.txt"
  OMP_NUM_THREADS=2 OMP_PROC_BIND=false WEFT_TEST_CHECKSUMS="$bundle/reference/local-reproducible.txt" \
    "$WEFT_BUNDLE_REFERENCE/tests/weft_local_tests" "[reproducible]" > "$bundle/reference/local-reproducible.log" 2>&1 ||
    { echo "gpu_bundle.sh: the reference run failed: $bundle/reference/local-reproducible.log" >&2; exit 1; }
fi

# What was built, for the results' header.
{
  echo "built: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n)"
  [ -f "$build/CMakeCache.txt" ] &&
    grep -E '^(CMAKE_CXX_COMPILER|CMAKE_BUILD_TYPE|Kokkos_DIR|CMAKE_CXX_FLAGS):' "$build/CMakeCache.txt"
  kokkos_dir=$(grep -E '^Kokkos_DIR:' "$build/CMakeCache.txt" 2>/dev/null | sed 's/^[^=]*=//')
  if [ -n "$kokkos_dir" ] && [ -f "$kokkos_dir/KokkosConfigVersion.cmake" ]; then
    echo "Kokkos version: $(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p' "$kokkos_dir/KokkosConfigVersion.cmake")"
    grep -hE '^set\(Kokkos_(DEVICES|ARCH) ' "$kokkos_dir"/*.cmake 2>/dev/null || true
  fi
  command -v nvcc > /dev/null && nvcc --version | tail -n 2 | head -n 1
  echo "weft commit: $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$bundle/build-info.txt"

du -sh "$bundle" | awk '{print "gpu_bundle.sh: " $2 " holds " $1}'
