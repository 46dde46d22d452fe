// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::balancer (vectors) and weft::grid_balancer (grids): load balancing by
// measured speed. Every rank reports how long its last step took; the
// balancer smooths each rank's rate (elements per second), decides whether
// the imbalance is worth moving data for, and proposes a layout with shares
// proportional to the rates (a partition; per-dimension splits for grids).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../concepts.hpp"
#include "../detail/profiling.hpp"
#include "../error.hpp"
#include "communicator.hpp"
#include "detail/mpi.hpp"
#include "grid.hpp"
#include "grid_partition.hpp"
#include "movement.hpp"
#include "partition.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// When and how a weft::balancer moves data.
struct balancer_options {
  /// Move only when the slowest rank's predicted step time exceeds the mean
  /// over ranks by this factor (max / mean): below it, measurement noise
  /// would make the balancer move data back and forth.
  double threshold = 1.05;
  /// Weight of the newest measurement in each rank's smoothed rate, in
  /// (0, 1]; 1 trusts only the last step.
  double smoothing = 0.5;
  /// The time a move costs must be earned back within this many steps.
  int payback_steps = 20;
  /// Steps observed before the first move may be proposed (the first steps
  /// often pay for first touches, plans and caches).
  int warmup_steps = 1;
  /// The model of a move's cost, until one has been measured: a fixed
  /// latency plus a time per element of the busiest rank's work (its new
  /// block plus what it sends). apply() measures each move and refines the
  /// per-element time.
  double move_latency_seconds = 1e-4;
  double move_seconds_per_element = 1e-8;
  /// The smallest block a rank may be given (e.g. a halo width); 0 lets a
  /// rank with no measured speed end up with an empty block.
  std::int64_t min_block = 0;
};

/// What the balancer saw at its last observe(), the same on every rank.
struct balance_report {
  int step = 0;                   // observations so far
  double imbalance = 1;           // max / mean of the predicted step times
  double measured_seconds = 0;    // the slowest rank's reported time this step
  double step_seconds = 0;        // predicted step time now (the slowest rank)
  double balanced_seconds = 0;    // predicted step time on the proposal
  double move_seconds = 0;        // predicted cost of moving to the proposal
  std::int64_t elements_moved = 0;  // elements that change owner
  bool rebalance = false;         // observe() returned true
};

namespace detail {
/// Elements that change owner from `from` to `to`, and the most work a move
/// costs any one rank: its new block (allocated and written, by message or
/// copy) plus the elements it sends. (Measured: allocating the new block
/// costs about as much as moving it, so a small move is not free.)
inline std::pair<std::int64_t, std::int64_t> move_volume(const partition& from, const partition& to) {
  std::int64_t moved = 0, busiest = 0;
  for (int r = 0; r < from.ranks(); ++r) {
    const std::int64_t lo = std::max(from.offset(r), to.offset(r));
    const std::int64_t hi = std::min(from.offset(r + 1), to.offset(r + 1));
    const std::int64_t kept = std::max<std::int64_t>(0, hi - lo);
    moved += from.local_size(r) - kept;
    busiest = std::max(busiest, to.local_size(r) + from.local_size(r) - kept);
  }
  return {moved, busiest};
}

/// partition::weighted with every block at least `min_block` elements
/// (when n allows): the blocks under the minimum are raised to it and the
/// rest of n is shared by weight among the others.
inline partition weighted_at_least(std::int64_t n, const std::vector<double>& weights, std::int64_t min_block) {
  const auto ranks = static_cast<std::int64_t>(weights.size());
  if (min_block <= 0 || n < min_block * ranks) return partition::weighted(n, weights);
  std::vector<bool> pinned(weights.size(), false);
  for (;;) {  // at most `ranks` rounds: each pins one more rank or ends
    std::vector<double> free_weights(weights.size(), 0.0);
    std::int64_t pinned_count = 0;
    for (std::size_t r = 0; r < weights.size(); ++r) {
      if (pinned[r]) ++pinned_count;
      else free_weights[r] = weights[r];
    }
    const std::int64_t rest = n - pinned_count * min_block;
    bool any_free = false;
    for (double w : free_weights) any_free |= w > 0;
    std::vector<std::int64_t> sizes(weights.size(), min_block);
    if (any_free) {
      const auto shares = partition::weighted(rest, free_weights);
      for (std::size_t r = 0; r < weights.size(); ++r)
        if (!pinned[r]) sizes[r] = shares.local_size(static_cast<int>(r));
    } else {  // every rank pinned: share what is left evenly
      const auto shares = partition::block(rest, static_cast<int>(ranks));
      for (std::size_t r = 0; r < weights.size(); ++r) sizes[r] += shares.local_size(static_cast<int>(r));
    }
    bool changed = false;
    for (std::size_t r = 0; r < weights.size(); ++r)
      if (!pinned[r] && sizes[r] < min_block) pinned[r] = changed = true;
    if (!changed) return partition::from_sizes(sizes);
  }
}

/// What a balancer needs of a layout: a vector's partition, or a grid's
/// per-dimension splits.
template <class Layout>
struct balance_layout;

template <>
struct balance_layout<partition> {
  static int ranks(const partition& p) { return p.ranks(); }
  static std::int64_t work(const partition& p, int r) { return p.local_size(r); }
  static std::int64_t largest_min_block(const partition& p) { return p.global_size() / std::max(1, p.ranks()); }
  static partition propose(const partition& p, const std::vector<double>& rates, std::int64_t min_block) {
    return weighted_at_least(p.global_size(), rates, min_block);
  }
  static std::pair<std::int64_t, std::int64_t> volume(const partition& from, const partition& to) {
    return move_volume(from, to);
  }
  static void record(collective_check& check, const partition& p, int ranks) {
    std::vector<std::int64_t> boundaries(static_cast<std::size_t>(ranks) + 1, -1);
    std::copy_n(p.offsets().begin(), std::min(boundaries.size(), p.offsets().size()), boundaries.begin());
    check.same_each("the partition's block boundaries", boundaries);
  }
  template <class X>
  static constexpr bool movable = distributed_1d<X>;
  template <class X>
  static bool holds(const partition& p, const X& x) {
    return x.partition() == p;
  }
  template <class... X>
  static void move(const partition& to, X&... xs) {
    std::tie(xs...) = redistribute(std::tie(xs...), to);
  }
};

template <std::size_t Rank>
struct balance_layout<std::array<partition, Rank>> {
  using splits = std::array<partition, Rank>;
  static int ranks(const splits& s) {
    int r = 1;
    for (const auto& p : s) r *= p.ranks();
    return r;
  }
  // Rank r's coordinates in the process grid (row-major, as MPI's Cartesian ranks).
  static std::array<int, Rank> coords(const splits& s, int r) {
    std::array<int, Rank> c{};
    for (std::size_t d = Rank; d-- > 0;) {
      c[d] = r % s[d].ranks();
      r /= s[d].ranks();
    }
    return c;
  }
  static std::int64_t work(const splits& s, int r) {
    const auto c = coords(s, r);
    std::int64_t points = 1;
    for (std::size_t d = 0; d < Rank; ++d) points *= s[d].local_size(c[d]);
    return points;
  }
  static std::int64_t largest_min_block(const splits& s) {
    std::int64_t most = INT64_MAX;
    for (const auto& p : s) most = std::min(most, p.global_size() / std::max(1, p.ranks()));
    return most;
  }
  static splits propose(const splits& s, const std::vector<double>& rates, std::int64_t min_block) {
    std::array<std::int64_t, Rank> extents{};
    std::array<int, Rank> dims{};
    for (std::size_t d = 0; d < Rank; ++d) {
      extents[d] = s[d].global_size();
      dims[d] = s[d].ranks();
    }
    return weighted_splits<Rank>(extents, dims, rates, std::max<std::int64_t>(1, min_block));
  }
  // Points that change owner, and the busiest rank's new block plus what it sends.
  static std::pair<std::int64_t, std::int64_t> volume(const splits& from, const splits& to) {
    std::int64_t moved = 0, busiest = 0;
    for (int r = 0; r < ranks(from); ++r) {
      const auto c = coords(from, r);
      std::int64_t kept = 1;
      for (std::size_t d = 0; d < Rank; ++d) {
        const std::int64_t lo = std::max(from[d].offset(c[d]), to[d].offset(c[d]));
        const std::int64_t hi = std::min(from[d].offset(c[d] + 1), to[d].offset(c[d] + 1));
        kept *= std::max<std::int64_t>(0, hi - lo);
      }
      moved += work(from, r) - kept;
      busiest = std::max(busiest, work(to, r) + work(from, r) - kept);
    }
    return {moved, busiest};
  }
  static void record(collective_check& check, const splits& s, int ranks) {
    for (const auto& p : s) balance_layout<partition>::record(check, p, ranks);
  }
  template <class X>
  static constexpr bool movable = grid<X> && static_cast<std::size_t>(std::remove_cvref_t<X>::rank) == Rank;
  template <class X>
  static bool holds(const splits& s, const X& g) {
    return g.splits() == s;
  }
  template <class... X>
  static void move(const splits& to, X&... gs) {
    ((gs = redistribute(gs, to)), ...);
  }
};
}  // namespace detail

/// Load balancing by measured speed, of distributed vectors (Layout =
/// weft::partition: weft::balancer) or grids (Layout = one partition per
/// dimension: weft::grid_balancer<Rank>). Each step, every rank reports the
/// time its step took on its current block (observe); the balancer shares
/// the times (one MPI_Allgather), turns them into rates (elements per
/// second, smoothed over steps), predicts the step time now and on a layout
/// with shares proportional to the rates (partition::weighted; for grids
/// weighted_splits, as close as a Cartesian split allows), and proposes it
/// when the imbalance exceeds the threshold and the time saved over
/// `payback_steps` steps exceeds the predicted cost of the move. Every rank
/// computes the decision from the same gathered numbers, so every rank
/// takes it. apply() moves the data to the proposal and measures the move.
///   weft::balancer balance(comm, x.partition());
///   for (int step = 0; step < steps; ++step)
///     if (balance.observe(exec, [&] { sweep(exec, x, y); })) balance.apply(x, y);
///   weft::grid_balancer<2> grids(comm, u.splits(), {.min_block = u.halo_width()});
template <class Layout>
class basic_balancer {
  using layout = detail::balance_layout<Layout>;

 public:
  using layout_type = Layout;

  /// Collective (agrees on the layout and the options, exactly).
  basic_balancer(const communicator& comm, const Layout& current, const balancer_options& options = {})
      : comm_(comm), current_(current), proposed_(current), options_(options),
        rates_(static_cast<std::size_t>(comm.size()), 0.0) {
    detail::collective_check check("weft::balancer");
    check.require(layout::ranks(current) == comm.size(), "weft::balancer: the layout has ", layout::ranks(current),
                  " blocks but the communicator has ", comm.size(), " ranks");
    check.require(options.threshold >= 1 && std::isfinite(options.threshold),
                  "weft::balancer: threshold ", options.threshold, " must be a finite factor >= 1 (max / mean)");
    check.require(options.smoothing > 0 && options.smoothing <= 1, "weft::balancer: smoothing ", options.smoothing,
                  " is outside (0, 1]");
    check.require(options.payback_steps >= 1 && options.warmup_steps >= 0, "weft::balancer: payback_steps ",
                  options.payback_steps, " must be >= 1 and warmup_steps ", options.warmup_steps, " >= 0");
    check.require(options.move_latency_seconds >= 0 && options.move_seconds_per_element >= 0 &&
                      std::isfinite(options.move_latency_seconds) && std::isfinite(options.move_seconds_per_element),
                  "weft::balancer: the move cost model must be finite and non-negative");
    check.require(options.min_block >= 0 && options.min_block <= layout::largest_min_block(current),
                  "weft::balancer: min_block ", options.min_block, " is negative or larger than the ",
                  layout::largest_min_block(current), " an even split of the layout allows");
    layout::record(check, current, comm.size());
    check.same_bits("balancer_options::threshold", options.threshold);
    check.same_bits("balancer_options::smoothing", options.smoothing);
    check.same("balancer_options::payback_steps", options.payback_steps);
    check.same("balancer_options::warmup_steps", options.warmup_steps);
    check.same_bits("balancer_options::move_latency_seconds", options.move_latency_seconds);
    check.same_bits("balancer_options::move_seconds_per_element", options.move_seconds_per_element);
    check.same("balancer_options::min_block", options.min_block);
    check.settle(comm);
    seconds_per_element_ = options.move_seconds_per_element;
  }

  /// Collective: `seconds` is the time this rank's last step took on its
  /// block of current(). Returns true, on every rank, when moving to
  /// proposed() pays off; move the data then with apply() (or redistribute
  /// it yourself and call moved()). A negative or non-finite time throws
  /// weft::error on every rank; a zero time, or a rank with no elements,
  /// keeps that rank's previous rate. Any positive time works: a rate
  /// (elements per second) beyond what double arithmetic on every rank's
  /// rates can hold counts as that limit (a time of 5e-324 s), and so does
  /// one below the smallest it can.
  bool observe(double seconds) {
    detail::collective_check check("weft::balancer::observe");
    return observe_settled(seconds, check);
  }

  /// Fences exec, runs step() on this rank, fences exec again, and observes
  /// the time it took. Collective: an exception from step() on some rank
  /// (or a failed fence) throws weft::error on every rank, with its message,
  /// from the gathering of the times, instead of leaving the others waiting
  /// there.
  template <weft::execution_space Exec, class Step>
  bool observe(const Exec& exec, Step&& step) {
    detail::collective_check check("weft::balancer::observe");
    double seconds = 0;
    check.attempt([&] {
      exec.fence();
      Kokkos::Timer timer;
      std::forward<Step>(step)();
      exec.fence();
      seconds = timer.seconds();
    });
    return observe_settled(seconds, check);
  }

  /// The same decision from every rank's step time, given on every rank
  /// alike (e.g. modelled times, or times gathered by the caller). Local:
  /// no communication. Used by observe().
  bool decide(const std::vector<double>& times) {
    detail::require(times.size() == rates_.size(), "weft::balancer: ", times.size(), " step times for ",
                    rates_.size(), " ranks");
    for (std::size_t r = 0; r < times.size(); ++r)
      detail::require(std::isfinite(times[r]) && times[r] >= 0, "weft::balancer::observe: rank ", r,
                      " reported a step time of ", times[r], " s");
    update_rates(times);
    report_ = balance_report{};
    report_.step = ++steps_;
    report_.measured_seconds = *std::max_element(times.begin(), times.end());
    proposed_ = current_;
    std::vector<double> predicted(rates_.size(), 0.0);
    double total = 0;
    bool known = false;
    for (std::size_t r = 0; r < rates_.size(); ++r) {
      known |= rates_[r] > 0;
    }
    if (!known) return false;  // nothing measured yet (every time zero, or no work)
    const auto rates = filled_rates();
    for (std::size_t r = 0; r < rates.size(); ++r) {
      predicted[r] = static_cast<double>(layout::work(current_, static_cast<int>(r))) / rates[r];
      total += predicted[r];
    }
    const double slowest = *std::max_element(predicted.begin(), predicted.end());
    const double mean = total / static_cast<double>(predicted.size());
    report_.step_seconds = slowest;
    report_.imbalance = mean > 0 ? slowest / mean : 1;
    const Layout candidate = layout::propose(current_, rates, options_.min_block);
    double balanced = 0;
    for (std::size_t r = 0; r < rates.size(); ++r)
      balanced = std::max(balanced, static_cast<double>(layout::work(candidate, static_cast<int>(r))) / rates[r]);
    const auto [moved, busiest] = layout::volume(current_, candidate);
    report_.balanced_seconds = balanced;
    report_.elements_moved = moved;
    report_.move_seconds = moved == 0 ? 0 : options_.move_latency_seconds + seconds_per_element_ * double(busiest);
    report_.rebalance = steps_ > options_.warmup_steps && moved > 0 && report_.imbalance > options_.threshold &&
                        (slowest - balanced) * options_.payback_steps > report_.move_seconds;
    if (report_.rebalance) proposed_ = candidate;
    return report_.rebalance;
  }

  /// Moves the vectors or grids (each laid out on current()) to
  /// proposed() with weft::redistribute (vectors all in one round of
  /// messages), assigns them, measures the move to refine the cost model,
  /// and makes the proposal current. Collective. Ghost widths and grid
  /// options are kept; grid halos need an exchange afterwards.
  template <class... X>
    requires(sizeof...(X) > 0 && (layout::template movable<X> && ...) && (!std::is_const_v<X> && ...))
  void apply(X&... xs) {
    const detail::profiling_region region("weft::balancer::apply");
    // Layouts are agreed when objects are built: the same outcome everywhere.
    detail::require((layout::holds(current_, xs) && ...),
                    "weft::balancer::apply: an argument is not laid out on the balancer's current layout");
    Kokkos::Timer timer;
    layout::move(proposed_, xs...);
    moved(timer.seconds());
  }

  /// Records that the data moved to proposed() (by the caller), this rank
  /// in `seconds`; refines the cost model with the slowest rank's time and
  /// makes the proposal current. Collective (one MPI_Allreduce), so the
  /// model, and every later decision, stays the same on every rank.
  void moved(double seconds) {
    const detail::profiling_region region("weft::balancer::moved");
    double slowest = 0;
    detail::check_mpi(MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm_.native()), "MPI_Allreduce",
                      "weft::balancer::moved");
    const auto busiest = layout::volume(current_, proposed_).second;
    if (busiest > 0 && std::isfinite(slowest) && slowest > options_.move_latency_seconds) {
      const double measured = (slowest - options_.move_latency_seconds) / double(busiest);
      seconds_per_element_ = moves_ == 0 ? measured : 0.5 * (seconds_per_element_ + measured);
    }
    ++moves_;
    last_move_seconds_ = slowest;
    current_ = proposed_;
  }

  /// The layout the data is on (after apply() or moved(), the proposal).
  const Layout& current() const noexcept { return current_; }
  /// The layout the last observe() proposed (current() if none).
  const Layout& proposed() const noexcept { return proposed_; }
  /// Every rank's smoothed rate, elements per second (0: not yet measured).
  const std::vector<double>& rates() const noexcept { return rates_; }
  const balance_report& last_report() const noexcept { return report_; }
  /// The modelled cost of moving one element (measured by apply()).
  double move_seconds_per_element() const noexcept { return seconds_per_element_; }
  int moves() const noexcept { return moves_; }
  /// How long the last move took (the slowest rank), as apply() measured it
  /// or moved() was told.
  double last_move_seconds() const noexcept { return last_move_seconds_; }
  const communicator& comm() const noexcept { return comm_; }

 private:
  // One MPI_Allgather of every rank's time, which also settles `check`.
  bool observe_settled(double seconds, const detail::collective_check& check) {
    const detail::profiling_region region("weft::balancer::observe");
    return decide(detail::all_gather_checked(comm_, check, seconds, "weft::balancer::observe"));
  }

  void update_rates(const std::vector<double>& times) {
    // Rates stay within limits that keep the sums of rates and of predicted
    // times (work / rate, work below 2^63) finite over all ranks: a time of
    // 5e-324 s gave an infinite rate, and the proposal an infinite weight.
    const double ranks = static_cast<double>(times.size());
    const double most = std::numeric_limits<double>::max() / (4 * ranks);
    const double least = 0x1p63 / most;
    for (std::size_t r = 0; r < times.size(); ++r) {
      const auto work = static_cast<double>(layout::work(current_, static_cast<int>(r)));
      if (work <= 0 || times[r] <= 0) continue;  // nothing learnt about this rank
      const double rate = std::clamp(work / times[r], least, most);  // work / 5e-324 is inf
      rates_[r] = rates_[r] > 0 ? options_.smoothing * rate + (1 - options_.smoothing) * rates_[r] : rate;
    }
  }

  // Ranks never measured (always empty, or always too fast to time) are
  // assumed as fast as the mean of the others, so they get work and are
  // measured next time.
  std::vector<double> filled_rates() const {
    double sum = 0;
    int count = 0;
    for (double r : rates_)
      if (r > 0) {
        sum += r;
        ++count;
      }
    std::vector<double> filled(rates_);
    for (double& r : filled)
      if (r <= 0) r = sum / count;
    return filled;
  }

  communicator comm_;
  Layout current_, proposed_;
  balancer_options options_;
  std::vector<double> rates_;
  balance_report report_;
  double seconds_per_element_ = 0, last_move_seconds_ = 0;
  int steps_ = 0, moves_ = 0;
};

/// Balances distributed vectors: proposes partitions.
using balancer = basic_balancer<partition>;
/// Balances Rank-dimensional distributed grids: proposes per-dimension
/// splits (set balancer_options::min_block to the halo width).
template <int Rank>
using grid_balancer = basic_balancer<std::array<partition, static_cast<std::size_t>(Rank)>>;

}  // namespace weft
