// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The search behind weft::weighted_splits: block sizes per dimension of a
// Cartesian process grid that minimise the largest volume / weight over the
// ranks. Host code only, no MPI: a deterministic function of its inputs.
//
// 1. Continuous sizes (fractions of each extent) by alternating updates:
//    with the other dimensions fixed, the best sizes along d are exact (each
//    slab of the process grid gets a share inversely proportional to the
//    worst volume / weight in it, so that every slab's worst time is equal).
//    Each update never makes the worst time worse. Weights that factor over
//    the dimensions reach a perfect balance in one sweep from even blocks;
//    for others a sweep can stop at a point where only a joint change of
//    several dimensions helps (the problem is not convex), so a pattern
//    search follows, moving shares between blocks of all dimensions but
//    one, which is re-balanced exactly after every move; and all of it runs
//    from even blocks, weight-proportional blocks and pseudo-random ones (a
//    fixed sequence) while a budget of steps lasts.
// 2. Whole cells, from the best continuous point and a few other local
//    optima nearly as good: every block gets min_block, the rest is shared
//    out by largest remainder in proportion to what each continuous block
//    holds beyond min_block, and cells then move from a slab holding the
//    slowest rank to another while that lowers the worst time (or the
//    number of ranks at it). The best whole-cell result wins.

#include "../partition.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace weft::detail {

/// Calls f(rank, coords) for every rank of a process grid, in MPI's
/// row-major Cartesian order (the last coordinate fastest).
template <std::size_t R, class F>
void for_each_cartesian(const std::array<int, R>& dims, F f) {
  std::size_t ranks = 1;
  for (int d : dims) ranks *= static_cast<std::size_t>(d);
  std::array<std::size_t, R> c{};
  for (std::size_t r = 0; r < ranks; ++r) {
    f(r, c);
    for (std::size_t d = R; d-- > 0;) {
      if (++c[d] < static_cast<std::size_t>(dims[d])) break;
      c[d] = 0;
    }
  }
}

/// Block sizes per dimension, as numbers (fractions of each extent in the
/// continuous search, cells in the discrete one).
template <std::size_t R>
using split_sizes = std::array<std::vector<double>, R>;

/// The largest volume / weight over the ranks.
template <std::size_t R>
double worst_time(const split_sizes<R>& x, const std::array<int, R>& dims, const std::vector<double>& w) {
  double worst = 0;
  for_each_cartesian(dims, [&](std::size_t r, const std::array<std::size_t, R>& c) {
    double v = 1;
    for (std::size_t d = 0; d < R; ++d) v *= x[d][c[d]];
    worst = std::max(worst, v / w[r]);
  });
  return worst;
}

/// The exact best fractions along dimension d with the others fixed: slab i
/// of the process grid gets a share inversely proportional to the largest
/// (volume of the other dimensions' blocks) / weight in it. False, with x
/// unchanged, if the numbers leave the range of double.
template <std::size_t R>
bool balance_dimension(split_sizes<R>& x, std::size_t d, const std::array<int, R>& dims,
                       const std::vector<double>& w) {
  std::vector<double> slowest(x[d].size(), 0.0);
  for_each_cartesian(dims, [&](std::size_t r, const std::array<std::size_t, R>& c) {
    double v = 1;
    for (std::size_t e = 0; e < R; ++e)
      if (e != d) v *= x[e][c[e]];
    slowest[c[d]] = std::max(slowest[c[d]], v / w[r]);
  });
  double total = 0;
  for (double& s : slowest) {
    s = 1 / s;
    total += s;
  }
  if (!std::isfinite(total) || !(total > 0)) return false;
  for (std::size_t i = 0; i < slowest.size(); ++i) {
    const double share = slowest[i] / total;
    if (!(share > 0)) return false;
    slowest[i] = share;
  }
  x[d] = std::move(slowest);
  return true;
}

/// Rank visits (one volume / weight each) a search may still spend: bounds
/// its work by a count, not by time, so that every rank stops at the same
/// point.
struct search_budget {
  std::size_t left;
  bool spend(std::size_t visits) {
    if (visits > left) {
      left = 0;
      return false;
    }
    left -= visits;
    return true;
  }
};

/// Alternating updates from x until a sweep over the dimensions gains less
/// than a relative 1e-13 (or 200 sweeps); x becomes the best point seen,
/// and its worst time is returned.
template <std::size_t R>
double alternate(split_sizes<R>& x, const std::array<int, R>& dims, const std::vector<double>& w,
                 search_budget& budget) {
  double best = worst_time(x, dims, w);
  split_sizes<R> y = x;
  // Two sweeps whatever the budget: enough for weights that factor.
  for (int sweep = 0; sweep < 200 && (budget.spend(w.size() * (R + 1)) || sweep < 2); ++sweep) {
    bool ok = true;
    for (std::size_t d = 0; d < R && ok; ++d) ok = balance_dimension(y, d, dims, w);
    if (!ok) break;
    const double t = worst_time(y, dims, w);
    const bool better = t < best;
    const bool stalled = !(t < best * (1 - 1e-13));
    if (better) {
      best = t;
      x = y;
    }
    if (stalled) break;
  }
  return best;
}

/// The worst time once dimension `exact` is balanced exactly against the
/// others (balance_dimension's optimum, without forming it).
template <std::size_t R>
double reduced_time(const split_sizes<R>& x, std::size_t exact, const std::array<int, R>& dims,
                    const std::vector<double>& w, std::vector<double>& slowest) {
  slowest.assign(static_cast<std::size_t>(dims[exact]), 0.0);
  for_each_cartesian(dims, [&](std::size_t r, const std::array<std::size_t, R>& c) {
    double v = 1;
    for (std::size_t e = 0; e < R; ++e)
      if (e != exact) v *= x[e][c[e]];
    slowest[c[exact]] = std::max(slowest[c[exact]], v / w[r]);
  });
  double total = 0;
  for (double s : slowest) total += 1 / s;
  return 1 / total;
}

/// Balances dimension `exact` and returns the worst time of x.
template <std::size_t R>
double worst_after(split_sizes<R>& x, std::size_t exact, const std::array<int, R>& dims,
                   const std::vector<double>& w) {
  balance_dimension(x, exact, dims, w);
  return worst_time(x, dims, w);
}

/// Pattern search on the other dimensions with `exact` balanced exactly:
/// moves a share of one block to another block of the same dimension while
/// that lowers the worst time, halving the share when no move does. Joint
/// moves of several dimensions, which the alternating updates cannot make,
/// come from the exact dimension following every move. Returns the worst
/// time of x, which ends balanced.
template <std::size_t R>
double pattern_search(split_sizes<R>& x, std::size_t exact, const std::array<int, R>& dims,
                      const std::vector<double>& w, search_budget& budget) {
  std::vector<double> scratch;
  double best = reduced_time(x, exact, dims, w, scratch);
  for (double step = 0.25; step > 1e-9;) {
    bool improved = false;
    for (std::size_t d = 0; d < R; ++d) {
      if (d == exact) continue;
      for (std::size_t i = 0; i < x[d].size(); ++i)
        for (std::size_t k = 0; k < x[d].size(); ++k) {
          if (k == i) continue;
          if (!budget.spend(w.size() * R)) return worst_after(x, exact, dims, w);
          const double from = x[d][i], to = x[d][k];
          const double amount = step * from;
          x[d][i] = from - amount;
          x[d][k] = to + amount;
          const double t = reduced_time(x, exact, dims, w, scratch);
          if (t < best * (1 - 1e-15)) {
            best = t;
            improved = true;
          } else {
            x[d][i] = from;
            x[d][k] = to;
          }
        }
    }
    if (!improved) step /= 2;
  }
  return worst_after(x, exact, dims, w);
}

/// A fixed pseudo-random sequence (splitmix64): the same numbers on every
/// rank and platform, unlike std::uniform_real_distribution.
class split_random {
 public:
  /// Uniform in [0, 1).
  double next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_ = 0x5eed;
};

/// Continuous fractions per dimension (each dimension's sum 1) minimising
/// the largest volume / weight (see the file comment): the best point found
/// first, then up to 7 other distinct local optima within 5% of it, best
/// first. Whole cells can favour one of them (one slow rank in a 2 x 2 grid
/// is served as well by a thin row as by a thin column, but only one of the
/// two may divide the extent evenly).
template <std::size_t R>
std::vector<split_sizes<R>> continuous_splits(const std::array<int, R>& dims, const std::vector<double>& w) {
  double total_weight = 0;
  for (double v : w) total_weight += v;
  const double ideal = 1 / total_weight;  // every rank's time when the balance is perfect
  auto balanced = [&](double t) { return t <= ideal * (1 + 1e-12); };
  search_budget budget{std::size_t(1) << 25};

  struct optimum {
    double time;
    split_sizes<R> x;
  };
  std::vector<optimum> found;  // distinct local optima, in the order found
  double best_time = std::numeric_limits<double>::infinity();
  auto distinct = [](const split_sizes<R>& a, const split_sizes<R>& b) {
    for (std::size_t d = 0; d < R; ++d)
      for (std::size_t i = 0; i < a[d].size(); ++i)
        if (std::abs(a[d][i] - b[d][i]) > 1e-6) return true;
    return false;
  };
  // One start: alternating updates, then (unless balanced) the pattern
  // search with each dimension in turn the exact one.
  auto descend = [&](split_sizes<R> x) {
    double t = alternate(x, dims, w, budget);
    for (std::size_t exact = 0; exact < R && R > 1 && !balanced(t); ++exact) {
      split_sizes<R> y = x;
      if (const double u = pattern_search(y, exact, dims, w, budget); u < t) {
        t = u;
        x = std::move(y);
      }
    }
    best_time = std::min(best_time, t);
    for (const optimum& o : found)
      if (!distinct(o.x, x)) return;
    if (found.size() == 64) {  // forget the worst
      auto worst = std::max_element(found.begin(), found.end(),
                                    [](const optimum& a, const optimum& b) { return a.time < b.time; });
      if (worst->time <= t) return;
      found.erase(worst);
    }
    found.push_back({t, std::move(x)});
  };
  // Starts: even blocks; blocks in proportion to the weight summed over each
  // slab; then random blocks while the budget lasts.
  split_sizes<R> x;
  for (std::size_t d = 0; d < R; ++d) x[d].assign(static_cast<std::size_t>(dims[d]), 1.0 / dims[d]);
  descend(x);
  if (!balanced(best_time)) {
    for (std::size_t d = 0; d < R; ++d) std::fill(x[d].begin(), x[d].end(), 0.0);
    for_each_cartesian(dims, [&](std::size_t r, const std::array<std::size_t, R>& c) {
      for (std::size_t d = 0; d < R; ++d) x[d][c[d]] += w[r] / total_weight;
    });
    descend(x);
  }
  split_random random;
  for (int start = 0; start < 1000 && budget.left > 0 && !balanced(best_time); ++start) {
    for (std::size_t d = 0; d < R; ++d) {
      double sum = 0;
      for (double& v : x[d]) sum += (v = 0.1 + random.next());
      for (double& v : x[d]) v /= sum;
    }
    descend(x);
  }
  // Best first; among equals, the first found (even blocks for equal weights).
  std::stable_sort(found.begin(), found.end(), [](const optimum& a, const optimum& b) { return a.time < b.time; });
  std::vector<split_sizes<R>> out;
  for (optimum& o : found)
    if (out.size() < 8 && o.time <= best_time * 1.05) out.push_back(std::move(o.x));
  return out;
}

/// Whole-cell sizes per dimension from continuous fractions: min_block each,
/// the rest by largest remainder in proportion to each block's continuous
/// size beyond min_block (or evenly where no block exceeds it).
inline std::vector<std::int64_t> round_split(std::int64_t n, const std::vector<double>& fraction, std::int64_t min_block) {
  const auto blocks = static_cast<std::int64_t>(fraction.size());
  const std::int64_t rest = n - blocks * min_block;  // >= 0: checked by the caller
  std::vector<double> excess(fraction.size());
  double total = 0;
  for (std::size_t i = 0; i < fraction.size(); ++i) {
    excess[i] = std::max(0.0, fraction[i] * static_cast<double>(n) - static_cast<double>(min_block));
    total += excess[i];
  }
  if (!(total > 0)) std::fill(excess.begin(), excess.end(), 1.0);
  const partition shared = partition::weighted(rest, excess);
  std::vector<std::int64_t> sizes(fraction.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) sizes[i] = min_block + shared.local_size(static_cast<int>(i));
  return sizes;
}

/// Moves cells between blocks of one dimension while that lowers the
/// largest volume / weight, or keeps it and lowers the number of ranks at
/// it: first single cells out of a slab holding a slowest rank (only those
/// can help alone), then, where none helps, such a move together with one
/// more anywhere (rounding can leave a point that only a joint move
/// improves), while the budget lasts. Blocks stay at min_block or more.
template <std::size_t R>
void polish_splits(std::array<std::vector<std::int64_t>, R>& sizes, const std::array<int, R>& dims,
                   const std::vector<double>& w, std::int64_t min_block) {
  const std::size_t ranks = w.size();
  std::vector<std::array<std::size_t, R>> coords(ranks);
  for_each_cartesian(dims, [&](std::size_t r, const std::array<std::size_t, R>& c) { coords[r] = c; });
  // (worst time, ranks at it, a slowest rank), compared on the first two.
  struct score {
    double worst = 0;
    std::size_t count = 0, slowest = 0;
    bool operator<(const score& o) const { return worst < o.worst || (worst == o.worst && count < o.count); }
  };
  auto evaluate = [&] {
    score s;
    for (std::size_t r = 0; r < ranks; ++r) {
      double v = 1;
      for (std::size_t d = 0; d < R; ++d) v *= static_cast<double>(sizes[d][coords[r][d]]);
      const double t = v / w[r];
      if (t > s.worst) s = {t, 1, r};
      else if (t == s.worst) ++s.count;
    }
    return s;
  };
  auto movable = [&](std::size_t d, std::size_t from, std::size_t to) {
    return from != to && sizes[d][from] > min_block;
  };
  auto move = [&](std::size_t d, std::size_t from, std::size_t to) {
    --sizes[d][from];
    ++sizes[d][to];
  };
  score current = evaluate();
  search_budget budget{std::size_t(1) << 24};
  std::size_t moves_left = 64;
  for (std::size_t d = 0; d < R; ++d) moves_left += 8 * static_cast<std::size_t>(dims[d]);
  while (moves_left-- > 0 && current.worst > 0) {
    bool moved = false;
    const auto slow = coords[current.slowest];
    for (std::size_t d = 0; d < R && !moved; ++d)
      for (std::size_t to = 0; to < sizes[d].size() && !moved; ++to) {
        if (!movable(d, slow[d], to)) continue;
        move(d, slow[d], to);
        if (const score next = evaluate(); next < current) {
          current = next;
          moved = true;
        } else {
          move(d, to, slow[d]);
        }
      }
    for (std::size_t d = 0; d < R && !moved; ++d)
      for (std::size_t to = 0; to < sizes[d].size() && !moved; ++to) {
        if (!movable(d, slow[d], to)) continue;
        move(d, slow[d], to);
        for (std::size_t e = 0; e < R && !moved; ++e)
          for (std::size_t i = 0; i < sizes[e].size() && !moved; ++i)
            for (std::size_t k = 0; k < sizes[e].size() && !moved; ++k) {
              if (!movable(e, i, k) || !budget.spend(ranks * R)) continue;
              move(e, i, k);
              if (const score next = evaluate(); next < current) {
                current = next;
                moved = true;
              } else {
                move(e, k, i);
              }
            }
        if (!moved) move(d, to, slow[d]);
      }
    if (!moved) break;
  }
}

/// Whole-cell sizes per dimension minimising the largest volume / weight,
/// every block at least min_block (see the file comment).
template <std::size_t R>
std::array<std::vector<std::int64_t>, R> whole_cell_splits(const std::array<std::int64_t, R>& extents,
                                                           const std::array<int, R>& dims,
                                                           const std::vector<double>& w, std::int64_t min_block) {
  std::array<std::vector<std::int64_t>, R> best;
  double best_time = std::numeric_limits<double>::infinity();
  for (const auto& fractions : continuous_splits(dims, w)) {
    std::array<std::vector<std::int64_t>, R> sizes;
    for (std::size_t d = 0; d < R; ++d) sizes[d] = round_split(extents[d], fractions[d], min_block);
    polish_splits(sizes, dims, w, min_block);
    split_sizes<R> cells;
    for (std::size_t d = 0; d < R; ++d)
      for (std::int64_t v : sizes[d]) cells[d].push_back(static_cast<double>(v));
    // The first candidate stands even if its time is not finite: the
    // result is always a split.
    if (const double t = worst_time(cells, dims, w); best[0].empty() || t < best_time) {
      best_time = t;
      best = std::move(sizes);
    }
  }
  return best;
}

}  // namespace weft::detail
