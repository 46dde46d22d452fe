// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// sort and sort_by_key on distributed vectors: a sample sort.
//
//  1. every rank sorts its block (weft::sort: radix or merge sort, stable);
//  2. every rank takes regular samples of its sorted block (16 per rank of
//     the communicator, 65536 in all at most), and one MPI_Allgatherv shares
//     them; every rank sorts the samples and picks the same ranks - 1
//     splitters, aimed at the vector's own partition;
//  3. every rank cuts its block at the splitters (binary searches on the
//     device), one MPI_Alltoall shares the counts, and the copy engine
//     moves the pieces, one message (in pieces past 1 GiB) to each rank
//     with a count; every rank sorts what it received (stable, and the
//     pieces arrive in rank order);
//  4. the sorted sequence moves back onto the vector's partition, point to
//     point to the ranks whose blocks it overlaps (every rank then holds
//     exactly as many elements as before, a block partition stays a block
//     partition).
//
// The sort is stable across ranks: a splitter is a sample's key together
// with its rank and position, so equal keys are cut in global order, and
// equal keys from different ranks meet in rank order. Both arrive sorted in
// place; with values, values(i) moves with keys(i). Collective and blocking;
// all exchanges go through host memory unless MPI can use the vectors'
// memory directly (weft's one staging policy), and no message size is
// limited by MPI's int counts.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/device_function.hpp"
#include "../detail/policy.hpp"
#include "../detail/profiling.hpp"
#include "../detail/sort.hpp"
#include "../detail/tiles.hpp"
#include "../error.hpp"
#include "../functional.hpp"
#include "../sort.hpp"
#include "communicator.hpp"
#include "detail/exchange.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

/// Where a splitter cuts a rank's sorted block. A splitter is the sample
/// (key, rank, position); elements before it in (key, rank, position) order
/// go left. On a rank before the sample's, equal keys are before it (cut
/// after them: upper bound); after the sample's rank, they are after it
/// (lower bound); on the sample's own rank, the cut is at its position.
enum class cut_rule : int { lower_bound, upper_bound, at_position, at_end };

template <class Keys, class Splitters, class Rules, class Positions, class Cuts, class Order>
struct cut_functor {
  Keys keys;
  Splitters splitters;
  Rules rules;
  Positions positions;
  Cuts cuts;
  Order order;
  std::int64_t n;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t j) const {
    const auto rule = static_cast<cut_rule>(rules(j));
    if (rule == cut_rule::at_end) {
      cuts(j) = n;
      return;
    }
    if (rule == cut_rule::at_position) {
      cuts(j) = positions(j);
      return;
    }
    const auto key = splitters(j);
    std::int64_t lo = 0, hi = n;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      const bool left = rule == cut_rule::lower_bound ? order(keys(mid), key) : !order(key, keys(mid));
      if (left) lo = mid + 1;
      else hi = mid;
    }
    cuts(j) = lo;
  }
};

template <class Keys, class Samples>
struct take_samples_functor {
  Keys keys;
  Samples samples;
  std::int64_t n, count;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { samples(k) = keys((2 * k + 1) * n / (2 * count)); }
};

/// Samples a rank of n elements contributes: 16 per rank of the
/// communicator, but no more than 65536 in all (every rank sorts all of
/// them), and no fewer than 16 per rank, nor more than its elements.
inline std::int64_t samples_on(std::int64_t n, int ranks) {
  const std::int64_t wanted = std::max<std::int64_t>(16, std::min<std::int64_t>(16 * std::int64_t(ranks), 65536 / ranks));
  return std::min<std::int64_t>(n, wanted);
}

/// Where the values a rank receives go, and their host staging: nothing
/// for a keys-only sort.
template <class Values, class Exec>
struct value_arrivals {
  using view = Kokkos::View<typename Values::value_type*, typename Exec::memory_space>;
  using moved = run_exchange<decltype(std::declval<const Values&>().local())>;
};
template <class Exec>
struct value_arrivals<no_values, Exec> {
  using view = no_values;
  using moved = no_values;
};

/// The distributed sample sort (see the top of this file). `Values` is a
/// distributed vector or no_values. Each rank's local work between two
/// collectives runs inside a collective_check, settled on the next one: the
/// local sort on the samples' all-gather, the splitters and cuts (the
/// comparison on the host and the device) and the receive buffers on the
/// layouts' allreduce, the sort of what arrived on the pieces' all-gather.
/// An exception from the comparison or a failed allocation on one rank
/// throws weft::error on every rank, and none waits for another.
template <class Exec, class Keys, class Values, class Comp>
void distributed_sort(const Exec& exec, const Keys& keys, const Values& values, const Comp& comp,
                      const char* algorithm) {
  using K = typename Keys::value_type;
  using M = typename Keys::memory_space;
  constexpr bool with_values = !std::is_same_v<Values, no_values>;
  const communicator& comm = keys.comm();
  const int size = comm.size(), me = comm.rank();
  const std::int64_t n = keys.local_size();
  auto local_values = [&] {
    if constexpr (with_values) return values.local();
    else return no_values{};
  };

  // 1. The local sort.
  collective_check check(algorithm);
  check.attempt([&] { sort_any(exec, keys.local(), local_values(), comp, algorithm); });
  if (size == 1) {
    check.settle_locally();
    return;
  }

  // 2. Samples, gathered everywhere in rank order, and the splitters.
  const partition& layout = keys.partition();
  const auto ranks = static_cast<std::size_t>(size), here = static_cast<std::size_t>(me);
  std::vector<std::int64_t> sample_counts(ranks), sample_displs(ranks);
  std::int64_t total_samples = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    sample_counts[r] = samples_on(layout.local_size(static_cast<int>(r)), size);
    sample_displs[r] = total_samples;
    total_samples += sample_counts[r];
  }
  std::vector<K> my_samples(static_cast<std::size_t>(sample_counts[here]));  // sent as they are if this rank failed
  check.attempt([&] {
    if (sample_counts[here] == 0) return;
    Kokkos::View<K*, M> taken("weft::sort::samples", static_cast<std::size_t>(sample_counts[here]));
    Kokkos::parallel_for(algorithm, range(exec, sample_counts[here]),
                         take_samples_functor<decltype(keys.local()), decltype(taken)>{keys.local(), taken, n,
                                                                                      sample_counts[here]});
    exec.fence();
    Kokkos::View<K*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(my_samples.data(),
                                                                                     my_samples.size());
    Kokkos::deep_copy(host, taken);
  });
  // Settles step 1 and the samples on every rank before any rank compares them.
  const std::vector<K> samples = all_gather_v_checked(comm, check, my_samples, sample_counts, algorithm);

  struct sample {
    std::int64_t index;  // into `samples`
    int rank;            // it came from
    std::int64_t position;
    double weight;  // elements it stands for
  };
  const auto order = effective_order<K>(comp);
  const int cuts_count = size - 1;
  std::vector<std::int64_t> send(ranks, 0);  // zeros where this rank failed: the layouts' allreduce throws anyway
  std::optional<Kokkos::View<K*, M>> arrived_keys;  // never a default-constructed View (see detail/sort.hpp)
  check.attempt([&] {
    std::vector<sample> order_of(static_cast<std::size_t>(total_samples));
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::int64_t k = 0; k < sample_counts[r]; ++k) {
        const std::int64_t nr = layout.local_size(static_cast<int>(r)), c = sample_counts[r];
        order_of[static_cast<std::size_t>(sample_displs[r] + k)] = {
            sample_displs[r] + k, static_cast<int>(r), (2 * k + 1) * nr / (2 * c),
            static_cast<double>(nr) / static_cast<double>(c)};
      }
    // Stable: equal keys stay in (rank, position) order, which is global order.
    std::stable_sort(order_of.begin(), order_of.end(), [&](const sample& a, const sample& b) {
      return order(samples[static_cast<std::size_t>(a.index)], samples[static_cast<std::size_t>(b.index)]);
    });
    // Splitter j aims at the first global position of rank j + 1 in the
    // vector's partition: the first sample whose estimated position (the
    // weight of the samples before it, plus half its own) reaches it.
    Kokkos::View<K*, Kokkos::HostSpace> split_keys("weft::sort::splitters", static_cast<std::size_t>(cuts_count));
    Kokkos::View<int*, Kokkos::HostSpace> rules("weft::sort::rules", static_cast<std::size_t>(cuts_count));
    Kokkos::View<std::int64_t*, Kokkos::HostSpace> positions("weft::sort::positions",
                                                             static_cast<std::size_t>(cuts_count));
    double before = 0;
    std::size_t s = 0;
    for (int j = 0; j < cuts_count; ++j) {
      const double target = static_cast<double>(layout.offset(j + 1));
      while (s < order_of.size() && before + 0.5 * order_of[s].weight < target) before += order_of[s++].weight;
      if (s == order_of.size()) {
        rules(j) = static_cast<int>(cut_rule::at_end);
        continue;
      }
      const sample& at = order_of[s];
      split_keys(j) = samples[static_cast<std::size_t>(at.index)];
      positions(j) = at.position;
      rules(j) = static_cast<int>(at.rank < me   ? cut_rule::lower_bound
                                  : at.rank > me ? cut_rule::upper_bound
                                                 : cut_rule::at_position);
    }

    // 3. Cut the sorted block (binary searches on the device).
    auto split_keys_d = Kokkos::create_mirror_view_and_copy(M{}, split_keys);
    auto rules_d = Kokkos::create_mirror_view_and_copy(M{}, rules);
    auto positions_d = Kokkos::create_mirror_view_and_copy(M{}, positions);
    Kokkos::View<std::int64_t*, M> cuts_d("weft::sort::cuts", static_cast<std::size_t>(cuts_count));
    Kokkos::parallel_for(algorithm, range(exec, cuts_count),
                         cut_functor<decltype(keys.local()), decltype(split_keys_d), decltype(rules_d),
                                     decltype(positions_d), decltype(cuts_d), decltype(order)>{
                             keys.local(), split_keys_d, rules_d, positions_d, cuts_d, order, n});
    exec.fence();
    auto cuts = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, cuts_d);
    std::int64_t start = 0;
    for (int q = 0; q < size; ++q) {
      const std::int64_t end = q < cuts_count ? std::max(start, std::min<std::int64_t>(cuts(q), n)) : n;
      send[static_cast<std::size_t>(q)] = end - start;
      start = end;
    }
  });
  const auto recv = exchange_counts(comm, send, algorithm);
  std::int64_t arriving = 0;
  for (const auto c : recv) arriving += c;
  std::optional<typename value_arrivals<Values, Exec>::view> arrived_values;
  const auto plan = std::make_shared<const copy_plan>(exchange_plan(send, recv, me));
  std::optional<run_exchange<decltype(keys.local())>> keys_moved;
  std::optional<typename value_arrivals<Values, Exec>::moved> values_moved;
  check.attempt([&] {  // the receive buffers and the engine's, before the ranks settle
    arrived_keys.emplace(scratch<K, Exec>("weft::sort::arrived", arriving));
    keys_moved.emplace(plan, algorithm);
    if constexpr (with_values) {
      arrived_values.emplace(scratch<typename Values::value_type, Exec>("weft::sort::arrived", arriving));
      values_moved.emplace(plan, algorithm);
    } else {
      arrived_values.emplace();
    }
  });
  // Settles steps 2 and 3 and the buffers on every rank before any message.
  check.settle(comm);
  keys_moved->run(exec, comm, keys.local(), *arrived_keys, algorithm);
  if constexpr (with_values) values_moved->run(exec, comm, values.local(), *arrived_values, algorithm);
  collective_check after(algorithm);
  after.attempt([&] { sort_any(exec, *arrived_keys, *arrived_values, comp, algorithm); });

  // 4. Back onto the vector's partition (its all-gather settles the sort above).
  if constexpr (with_values)
    move_onto(exec, comm, layout, algorithm, after, std::pair(*arrived_keys, keys.local()),
              std::pair(*arrived_values, values.local()));
  else
    move_onto(exec, comm, layout, algorithm, after, std::pair(*arrived_keys, keys.local()));
}

}  // namespace detail

/// Sorts the distributed vector x in place, globally and stably, by comp
/// (default weft::less, NaNs last as in the local sort); x keeps its
/// partition. Collective; every rank passes the same comp, which is called
/// on the device and on the host (it orders the samples).
///   weft::sort(x);   // x(0) <= x(1) <= ... across all ranks
template <execution_space Exec, distributed_1d X, class Comp>
void sort(const Exec& exec, const X& x, Comp comp) {
  const detail::profiling_region region("weft::sort");
  detail::static_check_device_callable<Exec, Comp>();
  detail::static_check_comparison<decltype(x.local()), Comp>();
  detail::distributed_sort(exec, x, detail::no_values{}, comp, "weft::sort");
}

template <execution_space Exec, distributed_1d X>
void sort(const Exec& exec, const X& x) {
  weft::sort(exec, x, less<>{});
}

template <distributed_1d X, class Comp>
void sort(const X& x, Comp comp) {
  weft::sort(detail::dist_exec_t<X>{}, x, comp);
}

template <distributed_1d X>
void sort(const X& x) {
  weft::sort(detail::dist_exec_t<X>{}, x, less<>{});
}

/// Sorts keys as weft::sort does and moves values(i) along with keys(i);
/// keys and values must be partitioned alike. Collective.
///   weft::sort_by_key(cell, particle_id);
template <execution_space Exec, distributed_1d Keys, distributed_1d Values, class Comp>
void sort_by_key(const Exec& exec, const Keys& keys, const Values& values, Comp comp) {
  const detail::profiling_region region("weft::sort_by_key");
  detail::static_check_device_callable<Exec, Comp>();
  detail::static_check_comparison<decltype(keys.local()), Comp>();
  detail::require_same_layout("weft::sort_by_key", keys, values);
  detail::require(!keys.same_data(values), "weft::sort_by_key: keys and values are the same vector (",
                  keys.global_size(), " elements)");
  detail::distributed_sort(exec, keys, values, comp, "weft::sort_by_key");
}

template <execution_space Exec, distributed_1d Keys, distributed_1d Values>
void sort_by_key(const Exec& exec, const Keys& keys, const Values& values) {
  weft::sort_by_key(exec, keys, values, less<>{});
}

template <distributed_1d Keys, distributed_1d Values, class Comp>
void sort_by_key(const Keys& keys, const Values& values, Comp comp) {
  weft::sort_by_key(detail::dist_exec_t<Keys>{}, keys, values, comp);
}

template <distributed_1d Keys, distributed_1d Values>
void sort_by_key(const Keys& keys, const Values& values) {
  weft::sort_by_key(detail::dist_exec_t<Keys>{}, keys, values, less<>{});
}

}  // namespace weft
