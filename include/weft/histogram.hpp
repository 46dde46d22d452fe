// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// histogram: counts of values in equal bins, or of given bin indices.
//
// Both overwrite `counts` (a rank-1 view of std::int64_t, one element per
// bin), enqueue their kernels on the instance and return without waiting.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/histogram.hpp"
#include "detail/policy.hpp"
#include "detail/profiling.hpp"
#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
template <class Counts>
constexpr void static_check_counts() {
  static_assert(std::is_same_v<typename std::remove_cvref_t<Counts>::value_type, std::int64_t>,
                "weft::histogram: the counts must be a view of std::int64_t (non-const).");
}
}  // namespace detail

/// Counts the values of v in counts.extent(0) equal bins over [lo, hi).
/// The edges are the doubles nearest lo + k (hi - lo) / bins (k = 0 ..
/// bins, in real arithmetic, ties to even), and value x (converted to
/// double) goes to bin b when edge(b) <= x < edge(b + 1): a value on an edge
/// goes to the bin above it, so 0.3 lands in bin 3 of [0, 1) in 10 bins.
/// Exact for any finite lo < hi, [-DBL_MAX, DBL_MAX) and subnormal ranges
/// included. The call first finds the bins + 1 edges into a table it
/// allocates (a kernel over the edges, about 20 ns each on one core); then
/// a value costs what (x - lo) * (bins / (hi - lo)) would, and one
/// comparison with an edge (a short bisection where bins are narrower than
/// about a thousand doubles), whatever the data: values on the edges, such
/// as whole numbers or decimals on their own grid, cost what random ones
/// do. Values outside [lo, hi) are not counted: below lo, at or above hi
/// (hi itself too), infinite, and NaN. No bins: nothing to do.
///   Kokkos::View<std::int64_t*> counts("counts", 100);
///   weft::histogram(exec, samples, counts, 0.0, 1.0);
template <execution_space Exec, rank1_view View, rank1_view Counts>
void histogram(const Exec& exec, const View& v, const Counts& counts, double lo, double hi) {
  const detail::profiling_region region("weft::histogram");
  detail::static_check_accessible<Exec, View, Counts>();
  detail::static_check_counts<Counts>();
  static_assert(std::is_arithmetic_v<detail::value_t<View>>, "weft::histogram: the values must be arithmetic.");
  detail::require(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "weft::histogram: the range [", lo, ", ", hi,
                  ") is empty or not finite (", v.extent(0), " values, ", counts.extent(0), " bins)");
  const std::int64_t bins = detail::extent(counts);
  if (bins == 0) return;
  detail::require(bins <= (std::int64_t(1) << 52), "weft::histogram: ", bins, " bins are more than 2^52");
  detail::count_equal_bins(exec, v, detail::equal_bin_map::make(lo, hi, bins), counts);
}

template <rank1_view View, rank1_view Counts>
void histogram(const View& v, const Counts& counts, double lo, double hi) {
  weft::histogram(detail::default_exec_t<Counts>{}, v, counts, lo, hi);
}

/// counts(b) = how many elements of bin_index equal b, for b in
/// [0, counts.extent(0)); indices outside that range are not counted.
///   weft::histogram(exec, cell_of_particle, particles_per_cell);
template <execution_space Exec, rank1_view Indices, rank1_view Counts>
void histogram(const Exec& exec, const Indices& bin_index, const Counts& counts) {
  const detail::profiling_region region("weft::histogram");
  detail::static_check_accessible<Exec, Indices, Counts>();
  detail::static_check_counts<Counts>();
  static_assert(std::is_integral_v<detail::value_t<Indices>>, "weft::histogram: bin indices must be integers.");
  const detail::given_bins<Indices> bin_of{bin_index, detail::extent(counts)};
  detail::count_bins(exec, detail::extent(bin_index), bin_of, counts, "weft::histogram");
}

template <rank1_view Indices, rank1_view Counts>
void histogram(const Indices& bin_index, const Counts& counts) {
  weft::histogram(detail::default_exec_t<Counts>{}, bin_index, counts);
}

}  // namespace weft
