// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// reduce_by_key on distributed vectors, where a run of equal keys may span
// ranks.
//
// Every rank reduces its block locally (weft::reduce_by_key); the runs that
// span ranks are stitched by two ordered scans over the ranks of each
// block's first and last key and the folds of its first and last segment
// (detail/collectives.hpp): a run that spans ranks belongs to the rank
// where it starts, whose last segment becomes the fold of all the pieces,
// combined in rank order (so the operation need not commute). An
// exclusive scan of the segments each rank keeps gives the result's layout,
// and point-to-point messages move them onto a block partition. O(log P)
// messages per rank for the scans. The scans also settle the local steps
// before them: an exception from op or eq, or a failed allocation, on one
// rank throws weft::error on every rank. Collective and blocking.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../by_key.hpp"
#include "../detail/device_function.hpp"
#include "../detail/profiling.hpp"
#include "../detail/tiles.hpp"
#include "../error.hpp"
#include "../functional.hpp"
#include "communicator.hpp"
#include "detail/collectives.hpp"
#include "detail/exchange.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "partition.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// What distributed reduce_by_key returns: one key and one value per segment.
template <class K, class V, class MemorySpace>
struct by_key_result {
  distributed_vector<K, MemorySpace> keys;
  distributed_vector<V, MemorySpace> values;
};

namespace detail {

/// A rank's view of its block, for stitching segments across ranks.
template <class K, class V>
struct segment_ends {
  K first_key, last_key;      // of the block's first and last elements
  V first_value, last_value;  // folds of its first and last segments
  std::int64_t segments;      // 0: an empty block
};

template <class View>
typename View::non_const_value_type element_on_host(const View& v, std::int64_t i) {
  typename View::non_const_value_type value;
  Kokkos::deep_copy(value, Kokkos::subview(v, i));
  return value;
}

template <class Exec, class Keys, class Values, class Op, class Eq>
auto distributed_reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, Op op, Eq eq) {
  using K = typename Keys::value_type;
  using V = typename Values::value_type;
  using M = typename Values::memory_space;
  const char* algorithm = "weft::reduce_by_key";
  require_same_layout(algorithm, keys, values);
  const communicator& comm = keys.comm();
  const int size = comm.size();
  const std::int64_t n = keys.local_size();

  // The local reduction (the user's op and eq, scratch buffers) may fail on
  // one rank: the forward scan of the ends settles it on every rank.
  collective_check check(algorithm);
  std::optional<Kokkos::View<K*, typename Exec::memory_space>> keys_out;  // never default-constructed Views
  std::optional<Kokkos::View<V*, typename Exec::memory_space>> values_out;
  segment_ends<K, V> mine{};
  std::int64_t m = 0;
  check.attempt([&] {
    keys_out.emplace(scratch<K, Exec>("weft::reduce_by_key::keys", n));
    values_out.emplace(scratch<V, Exec>("weft::reduce_by_key::values", n));
    m = weft::reduce_by_key(exec, keys.local(), values.local(), *keys_out, *values_out, op, eq);
    mine.segments = m;
    if (m > 0) {
      mine.first_key = element_on_host(keys.local(), 0);
      mine.last_key = element_on_host(keys.local(), n - 1);
      mine.first_value = element_on_host(*values_out, 0);
      mine.last_value = element_on_host(*values_out, m - 1);
    }
  });
  // Stitching runs across ranks is a fold of the blocks' ends, in rank
  // order (join, associative; empty blocks are left out): a run that ends
  // a block continues into the next block's first run when eq says their
  // keys are equal. The fold of the lower ranks' ends says whether this
  // block's first run continues an earlier one (and is dropped here); that
  // of the higher ranks' ends, what completes this block's last run. Two
  // ordered scans (forward, backward), O(log P) messages each. op and eq
  // run on the host here and may throw on one rank: the offsets' scan
  // below settles that.
  std::string stitch_failure;
  auto join = [&](const segment_ends<K, V>& l, const segment_ends<K, V>& r) {
    segment_ends<K, V> out = r;
    if (!stitch_failure.empty()) return out;
    try {
      const bool continues = static_cast<bool>(eq(l.last_key, r.first_key));
      out.first_key = l.first_key;
      out.segments = l.segments + r.segments - (continues ? 1 : 0);
      out.first_value = continues && l.segments == 1 ? V(op(l.first_value, r.first_value)) : l.first_value;
      out.last_value = continues && r.segments == 1 ? V(op(l.last_value, r.last_value)) : r.last_value;
    } catch (const std::exception& e) {
      stitch_failure = std::string(algorithm) + ": " + e.what();
    } catch (...) {
      stitch_failure = std::string(algorithm) + ": an exception of unknown type";
    }
    return out;
  };
  const optional_value<segment_ends<K, V>> ends{mine, m > 0};
  const auto before = ordered_exclusive_scan(comm, check, ends, join, algorithm).before;
  collective_check unchecked(algorithm);
  const auto after = ordered_exclusive_scan(comm, unchecked, ends, join, algorithm, scan_direction::backward).before;

  // This rank's segments: all but a first one that continues an earlier
  // rank's, with the last one's fold completed by later ranks' pieces.
  collective_check stitch(algorithm);
  stitch.require(stitch_failure.empty(), stitch_failure);
  std::int64_t first = 0, kept = 0;
  stitch.attempt([&] {
    if (m == 0) return;
    first = before.valid && static_cast<bool>(eq(before.value.last_key, mine.first_key)) ? 1 : 0;
    kept = m - first;
    if (kept > 0 && after.valid && static_cast<bool>(eq(mine.last_key, after.value.first_key))) {
      const V completed = V(op(mine.last_value, after.value.first_value));
      Kokkos::deep_copy(Kokkos::subview(*values_out, m - 1), completed);
    }
  });
  // Where this rank's kept segments start, and the result's size: an
  // exclusive scan over the ranks, which settles the stitching.
  const auto offsets =
      ordered_exclusive_scan(comm, stitch, optional_value<std::int64_t>{kept, true}, plus<>{}, algorithm);
  const partition to = partition::block(offsets.total.value, size);
  by_key_result<K, V, M> result{distributed_vector<K, M>(comm, to), distributed_vector<V, M>(comm, to)};
  const std::pair<std::int64_t, std::int64_t> range_kept(first, first + kept);
  collective_check move(algorithm);
  move_pieces(exec, comm, offsets.before.valid ? offsets.before.value : 0, to, move, algorithm,
              std::pair(Kokkos::subview(*keys_out, range_kept), result.keys.local()),
              std::pair(Kokkos::subview(*values_out, range_kept), result.values.local()));
  return result;
}

}  // namespace detail

/// One key and one value per run of equal consecutive keys (eq, default
/// weft::equal_to) across the whole vector, runs spanning ranks included:
/// the run's first key and values(first) op ... op values(last), in global
/// order, as two new vectors with a block partition. keys and values must
/// be partitioned alike. op need only be associative; it and eq are called
/// on the device and, to join runs across ranks, on the host. Collective.
///   auto [cells, mass] = weft::reduce_by_key(cell, particle_mass);
template <execution_space Exec, distributed_1d Keys, distributed_1d Values, class Op, class Eq>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, Op op, Eq eq) {
  const detail::profiling_region region("weft::reduce_by_key");
  detail::static_check_device_callable<Exec, Op, Eq>();
  return detail::distributed_reduce_by_key(exec, keys, values, op, eq);
}

template <execution_space Exec, distributed_1d Keys, distributed_1d Values, class Op>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, Op op) {
  const detail::profiling_region region("weft::reduce_by_key");
  detail::static_check_device_callable<Exec, Op>();
  return detail::distributed_reduce_by_key(exec, keys, values, op, equal_to<>{});
}

template <execution_space Exec, distributed_1d Keys, distributed_1d Values>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values) {
  const detail::profiling_region region("weft::reduce_by_key");
  return detail::distributed_reduce_by_key(exec, keys, values, plus<>{}, equal_to<>{});
}

template <distributed_1d Keys, distributed_1d Values, class Op, class Eq>
auto reduce_by_key(const Keys& keys, const Values& values, Op op, Eq eq) {
  const detail::profiling_region region("weft::reduce_by_key");
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, op, eq);
}

template <distributed_1d Keys, distributed_1d Values, class Op>
auto reduce_by_key(const Keys& keys, const Values& values, Op op) {
  const detail::profiling_region region("weft::reduce_by_key");
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, op, equal_to<>{});
}

template <distributed_1d Keys, distributed_1d Values>
auto reduce_by_key(const Keys& keys, const Values& values) {
  const detail::profiling_region region("weft::reduce_by_key");
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, plus<>{}, equal_to<>{});
}

}  // namespace weft
