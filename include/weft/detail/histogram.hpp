// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of histogram (histogram.hpp). On host spaces each tile
// counts into its own row of private counts (no atomics, no sharing), and a
// second kernel adds the rows up bin by bin; devices, and host histograms
// with more bins than elements per tile, count with atomic increments.

#include "policy.hpp"
#include "tiles.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace weft::detail {

/// Value -> bin over [lo, hi) in `bins` equal bins; -1 outside (NaN too).
template <class View>
struct equal_bins {
  View v;
  double lo, hi, scale;  // scale = bins / (hi - lo)
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t i) const {
    const double x = static_cast<double>(v(i));
    if (!(x >= lo && x < hi)) return -1;
    const auto b = static_cast<std::int64_t>((x - lo) * scale);
    return b < bins ? b : bins - 1;  // x just below hi may round up to bins
  }
};

/// Integer bin indices as given; -1 outside [0, bins).
template <class View>
struct given_bins {
  View v;
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t i) const {
    const auto b = v(i);
    if constexpr (std::is_signed_v<decltype(b)>) {
      if (b < 0) return -1;
    }
    return static_cast<std::int64_t>(b) < bins ? static_cast<std::int64_t>(b) : -1;
  }
};

template <class BinOf, class Private>
struct private_count_functor {
  BinOf bin_of;
  Private counts;  // tiles x bins
  tiling tiles;
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    for (std::int64_t b = 0; b < bins; ++b) counts(t, b) = 0;
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      const std::int64_t b = bin_of(i);
      if (b >= 0) ++counts(t, b);
    }
  }
};

template <class Private, class Counts>
struct sum_rows_functor {
  Private rows;
  Counts counts;
  std::int64_t tiles;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t b) const {
    std::int64_t sum = 0;
    for (std::int64_t t = 0; t < tiles; ++t) sum += rows(t, b);
    counts(b) = sum;
  }
};

template <class BinOf, class Counts>
struct atomic_count_functor {
  BinOf bin_of;
  Counts counts;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const {
    const std::int64_t b = bin_of(i);
    if (b >= 0) Kokkos::atomic_add(&counts(b), std::int64_t(1));
  }
};

template <class View>
struct zero_functor {
  View v;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = 0; }
};

/// counts(b) = how many i have bin_of(i) == b, over [0, n). Does not block.
template <class Exec, class BinOf, class Counts>
void count_bins(const Exec& exec, std::int64_t n, const BinOf& bin_of, const Counts& counts, const char* label) {
  const std::int64_t bins = extent(counts);
  if (bins == 0) return;
  const tiling tiles = make_tiling(exec, n);
  if (host_kernels<Exec> && tiles.count > 0 && bins <= tiles.size) {
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, typename Exec::memory_space> rows(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::histogram::rows")),
        static_cast<std::size_t>(tiles.count), static_cast<std::size_t>(bins));
    Kokkos::parallel_for(label, range(exec, tiles.count),
                         private_count_functor<BinOf, decltype(rows)>{bin_of, rows, tiles, bins});
    Kokkos::parallel_for(label, range(exec, bins), sum_rows_functor<decltype(rows), Counts>{rows, counts, tiles.count});
  } else {
    Kokkos::parallel_for(label, range(exec, bins), zero_functor<Counts>{counts});
    if (n > 0) Kokkos::parallel_for(label, range(exec, n), atomic_count_functor<BinOf, Counts>{bin_of, counts});
  }
}

}  // namespace weft::detail
