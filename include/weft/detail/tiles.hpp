// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Tiles: how sort, compaction, the by-key algorithms and histogram split a
// range among threads. One thread walks one tile from front to back, so
// whatever it writes comes out in input order: with per-tile counts and an
// exclusive scan over them, every algorithm built on tiles is stable.
//
// Host spaces get one tile per thread (fewer for small inputs), the layout a
// hand-written OpenMP loop uses; devices get many short tiles, one per thread.

#include "policy.hpp"
#include "scan.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>

namespace weft::detail {

/// Elements per tile on devices: short enough for tens of thousands of
/// threads on 10^7 elements, long enough that per-tile counts stay small.
inline constexpr std::int64_t device_tile = 256;

/// [0, n) cut into `count` tiles of `size` elements (the last may be shorter).
struct tiling {
  std::int64_t n = 0;
  std::int64_t count = 0;
  std::int64_t size = 1;
  KOKKOS_INLINE_FUNCTION std::int64_t begin(std::int64_t t) const { return t * size; }
  KOKKOS_INLINE_FUNCTION std::int64_t end(std::int64_t t) const {
    const std::int64_t e = (t + 1) * size;
    return e < n ? e : n;
  }
};

/// Host: one tile per thread of `exec`, but tiles of at least `min_tile`
/// elements (thread start-up costs more than that much work). Devices:
/// tiles of device_tile elements. `Host` chooses the layout; tests run the
/// device layout on host spaces too.
template <bool Host, class Exec>
tiling make_tiling_as(const Exec& exec, std::int64_t n, std::int64_t min_tile = 2048) {
  tiling t;
  t.n = n;
  if (n <= 0) return t;
  if constexpr (Host) {
    const std::int64_t wanted =
        std::max<std::int64_t>(1, std::min<std::int64_t>(exec.concurrency(), n / std::max<std::int64_t>(1, min_tile)));
    t.size = (n + wanted - 1) / wanted;
  } else {
    (void)exec;
    (void)min_tile;
    t.size = device_tile;
  }
  t.count = (n + t.size - 1) / t.size;
  return t;
}

/// Test hook: while true, host spaces get the device tiling too, so that
/// tests run the many-tile code paths of every algorithm on CPUs. weft itself
/// never sets it.
inline bool& device_tiling_for_tests() {
  static bool on = false;
  return on;
}

template <class Exec>
tiling make_tiling(const Exec& exec, std::int64_t n, std::int64_t min_tile = 2048) {
  if constexpr (host_kernels<Exec>) {
    if (device_tiling_for_tests()) return make_tiling_as<false>(exec, n, min_tile);
  }
  return make_tiling_as<host_kernels<Exec>>(exec, n, min_tile);
}

/// The element type of a view (what scratch copies of it hold).
template <class View>
using element_t = typename std::remove_cvref_t<View>::non_const_value_type;

/// Stands in for the values of a keys-only sort or compaction: nothing to
/// read, nothing to move.
struct no_values {
  KOKKOS_INLINE_FUNCTION char operator()(std::int64_t) const { return 0; }
};

template <class V>
inline constexpr bool has_values = !std::is_same_v<std::remove_cvref_t<V>, no_values>;

/// v(i) = update before i; update += v(i): an in-place exclusive sum.
template <class View>
struct exclusive_sum_functor {
  using value_type = std::int64_t;
  View v;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& update, bool final) const {
    const value_type x = v(i);
    if (final) v(i) = update;
    update += x;
  }
};

/// Whether a scan over per-tile values is cheaper on the host than as a
/// kernel: host spaces with the host tiling (a tile per thread). Another
/// parallel region there costs more than the loop, most of all on a loaded
/// machine, where every region waits for its slowest thread to be scheduled.
template <class Exec>
bool scan_tiles_on_host(const Exec& exec, std::int64_t tiles) {
  if constexpr (host_kernels<Exec>) return tiles <= exec.concurrency();
  else return false;
}

/// In-place exclusive sum of a view of per-tile counts; returns the total,
/// which blocks until the scan is done (Kokkos fences `exec`).
template <class Exec, class View>
std::int64_t exclusive_sum(const Exec& exec, const View& counts, const char* label) {
  std::int64_t total = 0;
  if (counts.extent(0) == 0) return total;
  if constexpr (host_kernels<Exec>) {
    if (scan_tiles_on_host(exec, extent(counts))) {
      exec.fence();
      for (std::size_t t = 0; t < counts.extent(0); ++t) {
        const std::int64_t c = counts(t);
        counts(t) = total;
        total += c;
      }
      return total;
    }
  }
  Kokkos::parallel_scan(label, range(exec, extent(counts)), exclusive_sum_functor<View>{counts}, total);
  return total;
}

/// The same without waiting for the total.
template <class Exec, class View>
void exclusive_sum_async(const Exec& exec, const View& counts, const char* label) {
  if (counts.extent(0) > 0)
    Kokkos::parallel_scan(label, range(exec, extent(counts)), exclusive_sum_functor<View>{counts});
}

/// Scratch memory for an algorithm's intermediate results, uninitialised.
template <class T, class Exec>
Kokkos::View<T*, typename Exec::memory_space> scratch(const char* label, std::int64_t n) {
  return Kokkos::View<T*, typename Exec::memory_space>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)),
                                                      static_cast<std::size_t>(n));
}

/// Whether two views' elements share memory (their address ranges meet).
/// Views in different memory spaces never do.
template <class A, class B>
bool overlap(const A& a, const B& b) {
  if constexpr (!std::is_same_v<typename A::memory_space, typename B::memory_space>) {
    return false;
  } else {
    if (a.span() == 0 || b.span() == 0) return false;
    const auto a0 = reinterpret_cast<std::uintptr_t>(a.data());
    const auto b0 = reinterpret_cast<std::uintptr_t>(b.data());
    const auto a1 = a0 + a.span() * sizeof(typename A::value_type);
    const auto b1 = b0 + b.span() * sizeof(typename B::value_type);
    return a0 < b1 && b0 < a1;
  }
}

}  // namespace weft::detail
