// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::partition: which rank owns which contiguous block of [0, n).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../error.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace weft {

/// Maps the global indices [0, n) to ranks in contiguous blocks, rank r
/// owning [offset(r), offset(r) + local_size(r)). Blocks may be empty. A
/// plain value, the same on every rank; no communication.
///   auto p = weft::partition::weighted(n, {1.0, 3.0});   // rank 1 gets 3/4
class partition {
 public:
  /// Sizes differ by at most one; the first n % ranks ranks get the extra element.
  static partition block(std::int64_t n, int ranks) {
    detail::require(n >= 0 && ranks > 0, "weft::partition::block: need n >= 0 and ranks > 0, got n = ", n,
                    ", ranks = ", ranks);
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(ranks), n / ranks);
    for (std::int64_t r = 0; r < n % ranks; ++r) ++sizes[static_cast<std::size_t>(r)];
    return partition(sizes);
  }

  /// Shares proportional to non-negative weights (e.g. measured device
  /// speeds), rounded by largest remainder (ties to the lower rank); a zero
  /// weight gives an empty block. All-zero, negative or non-finite weights throw.
  static partition weighted(std::int64_t n, const std::vector<double>& weights) {
    detail::require(n >= 0 && !weights.empty(), "weft::partition::weighted: need n >= 0 and at least one weight, got n = ",
                    n, ", ", weights.size(), " weights");
    long double total = 0;
    for (std::size_t r = 0; r < weights.size(); ++r) {
      detail::require(std::isfinite(weights[r]) && weights[r] >= 0, "weft::partition::weighted: weight ",
                      weights[r], " of rank ", r, " is negative or not finite");
      total += weights[r];
    }
    detail::require(total > 0, "weft::partition::weighted: all ", weights.size(), " weights are zero");
    std::vector<std::int64_t> sizes(weights.size());
    std::vector<long double> remainder(weights.size());
    std::int64_t assigned = 0;
    for (std::size_t r = 0; r < weights.size(); ++r) {
      const long double quota = static_cast<long double>(n) * weights[r] / total;
      sizes[r] = static_cast<std::int64_t>(std::floor(quota));
      remainder[r] = quota - sizes[r];
      assigned += sizes[r];
    }
    std::vector<std::size_t> order(weights.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
    // Past 2^53 or so the quotas carry rounding errors that can push their
    // floors over n: take the excess back from the smallest remainders.
    for (std::size_t k = order.size(); assigned > n; --assigned) {
      do k = (k == 0 ? order.size() : k) - 1;
      while (sizes[order[k]] == 0);
      --sizes[order[k]];
    }
    for (std::size_t k = 0; assigned < n; ++k, ++assigned) {
      // Never hand a leftover element to a zero weight.
      while (weights[order[k % order.size()]] == 0) ++k;
      ++sizes[order[k % order.size()]];
    }
    return partition(sizes);
  }

  /// Exactly these block sizes, rank by rank. Negative sizes, or sizes
  /// whose sum exceeds the largest std::int64_t, throw.
  static partition from_sizes(const std::vector<std::int64_t>& sizes) {
    detail::require(!sizes.empty(), "weft::partition::from_sizes: no ranks (0 sizes)");
    std::int64_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      detail::require(sizes[r] >= 0, "weft::partition::from_sizes: size ", sizes[r], " of rank ", r,
                      " is negative");
      detail::require(sizes[r] <= INT64_MAX - total, "weft::partition::from_sizes: the sizes up to rank ", r,
                      " sum past the largest 64-bit index (", total, " + ", sizes[r], ")");
      total += sizes[r];
    }
    return partition(sizes);
  }

  std::int64_t global_size() const noexcept { return offsets_.back(); }
  int ranks() const noexcept { return static_cast<int>(offsets_.size()) - 1; }
  /// The number of elements rank r owns, 0 <= r < ranks().
  std::int64_t local_size(int r) const {
    check_rank(r, "local_size");
    return offsets_[static_cast<std::size_t>(r) + 1] - offsets_[static_cast<std::size_t>(r)];
  }
  /// The global index of rank r's first element, 0 <= r <= ranks()
  /// (offset(ranks()) is global_size()).
  std::int64_t offset(int r) const {
    detail::require(r >= 0 && r <= ranks(), "weft::partition::offset: rank ", r, " is outside [0, ", ranks(), "]");
    return offsets_[static_cast<std::size_t>(r)];
  }
  /// All ranks() + 1 block boundaries: rank r owns [offsets()[r], offsets()[r + 1]).
  const std::vector<std::int64_t>& offsets() const noexcept { return offsets_; }

  /// The rank owning global index i, 0 <= i < global_size().
  int owner(std::int64_t i) const {
    detail::require(i >= 0 && i < global_size(), "weft::partition::owner: index ", i,
                    " is outside [0, ", global_size(), ")");
    // The last rank whose block starts at or before i (skips empty blocks).
    return static_cast<int>(std::upper_bound(offsets_.begin(), offsets_.end(), i) - offsets_.begin()) - 1;
  }

  friend bool operator==(const partition&, const partition&) = default;

 private:
  void check_rank(int r, const char* what) const {
    detail::require(r >= 0 && r < ranks(), "weft::partition::", what, ": rank ", r, " is outside [0, ", ranks(), ")");
  }

  explicit partition(const std::vector<std::int64_t>& sizes) : offsets_(sizes.size() + 1, 0) {
    std::partial_sum(sizes.begin(), sizes.end(), offsets_.begin() + 1);
  }

  std::vector<std::int64_t> offsets_;  // ranks + 1 entries; offsets_[r] is rank r's first index
};

}  // namespace weft
