// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::weighted_splits and weft::split_efficiency: splits of a 2-D or 3-D
// grid over a Cartesian process grid whose blocks follow per-rank weights
// (measured speeds), for distributed_grid's constructor from splits and for
// redistribute. Pure functions: no MPI, the same result on every rank.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../error.hpp"
#include "detail/grid_partition.hpp"
#include "partition.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace weft {

namespace detail {
/// The number of ranks of a process grid, checked against `weights`.
template <std::size_t Rank>
std::size_t check_rank_weights(const std::array<int, Rank>& dims, const std::vector<double>& weights,
                               const char* algorithm) {
  std::int64_t ranks = 1;
  for (std::size_t d = 0; d < Rank; ++d) {
    require(dims[d] > 0, algorithm, ": process-grid entry ", dims[d], " in dimension ", d, " is not positive");
    require(ranks <= INT_MAX / dims[d], algorithm, ": the process grid has more than ", INT_MAX, " ranks");
    ranks *= dims[d];
  }
  require(static_cast<std::int64_t>(weights.size()) == ranks, algorithm, ": ", weights.size(),
          " rank weights for a process grid of ", ranks, " ranks");
  for (std::size_t r = 0; r < weights.size(); ++r)
    require(std::isfinite(weights[r]) && weights[r] > 0, algorithm, ": weight ", weights[r], " of rank ", r,
            " is not positive and finite");
  return static_cast<std::size_t>(ranks);
}
}  // namespace detail

/// The predicted efficiency of a Cartesian split for ranks of these
/// weights (speeds): the step time of a perfect balance (total volume /
/// total weight) over the step time of the split (the largest volume /
/// weight of any rank's block), in (0, 1]; 1 for an empty grid.
/// `rank_weights` holds one positive weight per rank, in MPI's row-major
/// Cartesian order (rank ((c0 * dims1) + c1) * dims2 + c2), dims[d] being
/// splits[d].ranks(). Throws weft::error otherwise. No communication.
///   double e = weft::split_efficiency(u.splits(), speeds);   // 0.77: 23% of the time is waiting
template <std::size_t Rank>
double split_efficiency(const std::array<partition, Rank>& splits, const std::vector<double>& rank_weights) {
  static_assert(Rank >= 1, "weft::split_efficiency: a grid has at least one dimension.");
  const char* algorithm = "weft::split_efficiency";
  std::array<int, Rank> dims;
  detail::split_sizes<Rank> sizes;
  for (std::size_t d = 0; d < Rank; ++d) {
    dims[d] = splits[d].ranks();
    for (int i = 0; i < dims[d]; ++i) sizes[d].push_back(static_cast<double>(splits[d].local_size(i)));
  }
  detail::check_rank_weights(dims, rank_weights, algorithm);
  double volume = 1, weight = 0;
  for (std::size_t d = 0; d < Rank; ++d) volume *= static_cast<double>(splits[d].global_size());
  for (double w : rank_weights) weight += w;
  const double worst = detail::worst_time(sizes, dims, rank_weights);
  return worst > 0 ? (volume / weight) / worst : 1.0;
}

/// Splits of a grid of `extents` over a process grid `dims` (what
/// distributed_grid's constructor from splits and redistribute take) whose
/// blocks follow per-rank weights: rank (c0, c1[, c2])'s block volume in
/// proportion to its weight as closely as a Cartesian split allows, i.e.
/// minimising the step time, the largest volume / weight over the ranks.
/// `rank_weights` holds one positive weight (speed) per rank in MPI's
/// row-major Cartesian order, rank ((c0 * dims[1]) + c1) * dims[2] + c2, as
/// the grid numbers its ranks. Every block gets at least `min_block` cells
/// (pass the halo width for a grid that needs blocks that wide). Any
/// positive finite weights work; weights below 2^-200 of the largest are
/// compressed, keeping their order, into [2^-300, 2^-200] of it (their
/// ranks' fair shares are below a cell: they get smallest blocks anyway).
///
/// What a Cartesian split can balance: every block of a slab of the process
/// grid has the same width along that dimension, so volumes are products of
/// one size per dimension. Weights that factor the same way, w = u(c0) v(c1)
/// [x(c2)] (rows of fast nodes, columns of slow ones, equal weights), are
/// balanced exactly, up to rounding to whole cells. Other weights are not:
/// one slow rank in a 2 x 2 grid (weight 1/4, the others 1) shares a row
/// with one fast rank and a column with another, and thinning its row or
/// column thins theirs too; the best split then reaches 10/13 = 0.77 of a
/// perfect balance (its row gets 1/5 of the rows, the columns stay even).
/// split_efficiency reports what a split achieves.
///
/// Method: in continuous sizes, alternating exact updates of one
/// dimension's sizes and a pattern search for joint moves, from even,
/// weight-proportional and pseudo-random starts; then whole cells by
/// largest remainder from the few best points, and cell moves that lower
/// the step time (see detail/grid_partition.hpp). A heuristic where weights do not
/// factor (the problem is not convex); deterministic: the same inputs give
/// the same splits on every rank. Its work is bounded by a count of steps,
/// not by time: a few hundredths of a second on one core, for a 2 x 2 as
/// for a 16 x 16 x 16 process grid. Throws weft::error for non-positive dims,
/// a weight count other than the product of dims, weights that are not
/// positive and finite, a negative min_block, or an extent that cannot hold
/// dims[d] blocks of min_block cells. No communication.
///   auto s = weft::weighted_splits<2>({4096, 4096}, u.dims(), speeds, u.halo_width());
///   auto balanced = weft::redistribute(u, s);
template <std::size_t Rank>
std::array<partition, Rank> weighted_splits(const std::array<std::int64_t, Rank>& extents,
                                            const std::array<int, Rank>& dims, const std::vector<double>& rank_weights,
                                            std::int64_t min_block = 1) {
  static_assert(Rank >= 1, "weft::weighted_splits: a grid has at least one dimension.");
  const char* algorithm = "weft::weighted_splits";
  detail::check_rank_weights(dims, rank_weights, algorithm);
  detail::require(min_block >= 0, algorithm, ": negative min_block ", min_block);
  for (std::size_t d = 0; d < Rank; ++d) {
    detail::require(extents[d] >= 0, algorithm, ": negative extent ", extents[d], " in dimension ", d);
    detail::require(min_block <= extents[d] / dims[d], algorithm, ": extent ", extents[d], " in dimension ", d,
                    " cannot hold ", dims[d], " blocks of at least ", min_block, " cells");
  }
  // Weights scaled to at most 1: the same splits, and no overflow in the
  // search. Those below 2^-200 of the largest are compressed, in order,
  // into [2^-300, 2^-200], so that the search's products of up to three
  // fractions and its volumes / weights stay inside double (1e-300 of 1e300
  // became 0, and no split was found at all). Such a rank's fair share of
  // even 2^189 cells is below a cell: it gets a smallest block either way.
  double largest = 0;
  for (double w : rank_weights) largest = std::max(largest, w);
  std::vector<double> w(rank_weights.size());
  double deepest = -200;  // the smallest log2 of a scaled weight, if below -200
  for (std::size_t r = 0; r < w.size(); ++r) {
    w[r] = rank_weights[r] / largest;
    const double l = w[r] > 0 ? std::log2(w[r]) : std::log2(rank_weights[r]) - std::log2(largest);
    deepest = std::min(deepest, l);
  }
  if (deepest < -200) {
    const double squeeze = std::min(1.0, 100 / (-200 - deepest));
    for (std::size_t r = 0; r < w.size(); ++r) {
      const double l = w[r] > 0 ? std::log2(w[r]) : std::log2(rank_weights[r]) - std::log2(largest);
      if (l < -200) w[r] = std::exp2(-200 + squeeze * (l + 200));
    }
  }

  const auto sizes = detail::whole_cell_splits(extents, dims, w, min_block);
  return [&]<std::size_t... D>(std::index_sequence<D...>) {
    return std::array<partition, Rank>{partition::from_sizes(sizes[D])...};
  }(std::make_index_sequence<Rank>{});
}

}  // namespace weft
