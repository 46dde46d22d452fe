// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// reduce_by_key on distributed vectors, where a run of equal keys may span
// ranks.
//
// Every rank reduces its block locally (weft::reduce_by_key), one
// MPI_Allgather shares each rank's first and last key and the folds of its
// first and last segment, and every rank works out the same way which
// segments continue across rank boundaries: a run that spans ranks belongs
// to the rank where it starts, whose last segment becomes the fold of all
// the pieces, combined in rank order (so the operation need not commute).
// A second MPI_Allgather shares how many segments each rank keeps, and one
// MPI_Alltoallv per array then moves the segments onto a block partition.
// Each all-gather also settles the local step before it: an exception from
// op or eq, or a failed allocation, on one rank throws weft::error on every
// rank. Collective and blocking.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../by_key.hpp"
#include "../detail/device_function.hpp"
#include "../detail/tiles.hpp"
#include "../error.hpp"
#include "../functional.hpp"
#include "communicator.hpp"
#include "detail/exchange.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "partition.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <optional>
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
  const int size = comm.size(), me = comm.rank();
  const std::int64_t n = keys.local_size();

  // The local reduction (the user's op and eq, scratch buffers) may fail on
  // one rank: the ends' all-gather settles it on every rank.
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
  const auto ends = all_gather_checked(comm, check, mine, algorithm);

  // Walk the ranks in order with the segment still open at the end of the
  // last non-empty one. Every rank computes the same, calling op and eq on
  // the host, which may still fail on one rank: the pieces' all-gather
  // below settles that.
  const auto ranks = static_cast<std::size_t>(size), here = static_cast<std::size_t>(me);
  collective_check stitch(algorithm);
  std::int64_t first = 0, kept = 0;
  stitch.attempt([&] {
    std::vector<char> drop_first(ranks, 0);
    std::vector<V> last_value(ranks);
    std::optional<std::size_t> owner;  // rank where the open segment starts
    V open_value{};                    // its fold so far
    K open_key{};                      // the key of its last element so far
    for (std::size_t r = 0; r < ranks; ++r) {
      const auto& e = ends[r];
      if (e.segments == 0) continue;
      if (owner && static_cast<bool>(eq(open_key, e.first_key))) {
        drop_first[r] = 1;
        open_value = V(op(open_value, e.first_value));
        open_key = e.last_key;
        if (e.segments == 1) continue;  // r's only segment belongs to the open one
        last_value[*owner] = open_value;
      } else if (owner) {
        last_value[*owner] = open_value;
      }
      owner = r;
      open_value = e.last_value;
      open_key = e.last_key;
    }
    if (owner) last_value[*owner] = open_value;

    // This rank's segments: all but a first one that continues an earlier
    // rank's, with the last one's fold completed by later ranks' pieces.
    first = drop_first[here] ? 1 : 0;
    if (m > first) {
      const V completed = last_value[here];
      Kokkos::deep_copy(Kokkos::subview(*values_out, m - 1), completed);
    }
    kept = m - first;
  });
  // Every rank's kept segments: the result's size, and the pieces to move.
  const auto pieces = all_gather_checked(comm, stitch, kept, algorithm);
  std::int64_t total = 0;
  for (const auto p : pieces) total += p;
  const partition to = partition::block(total, size);
  by_key_result<K, V, M> result{distributed_vector<K, M>(comm, to), distributed_vector<V, M>(comm, to)};
  const std::pair<std::int64_t, std::int64_t> range_kept(first, first + kept);
  move_pieces(exec, comm, pieces, to, algorithm, std::pair(Kokkos::subview(*keys_out, range_kept), result.keys.local()),
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
template <execution_space Exec, distributed Keys, distributed Values, class Op, class Eq>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, Op op, Eq eq) {
  detail::static_check_device_callable<Exec, Op, Eq>();
  return detail::distributed_reduce_by_key(exec, keys, values, op, eq);
}

template <execution_space Exec, distributed Keys, distributed Values, class Op>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, Op op) {
  detail::static_check_device_callable<Exec, Op>();
  return detail::distributed_reduce_by_key(exec, keys, values, op, equal_to<>{});
}

template <execution_space Exec, distributed Keys, distributed Values>
auto reduce_by_key(const Exec& exec, const Keys& keys, const Values& values) {
  return detail::distributed_reduce_by_key(exec, keys, values, plus<>{}, equal_to<>{});
}

template <distributed Keys, distributed Values, class Op, class Eq>
auto reduce_by_key(const Keys& keys, const Values& values, Op op, Eq eq) {
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, op, eq);
}

template <distributed Keys, distributed Values, class Op>
auto reduce_by_key(const Keys& keys, const Values& values, Op op) {
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, op, equal_to<>{});
}

template <distributed Keys, distributed Values>
auto reduce_by_key(const Keys& keys, const Values& values) {
  return detail::distributed_reduce_by_key(detail::dist_exec_t<Values>{}, keys, values, plus<>{}, equal_to<>{});
}

}  // namespace weft
