// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// copy_if on distributed vectors: a new distributed vector of the selected
// elements, in global order.
//
// Every rank compacts its block locally (weft::copy_if), an exclusive scan
// of the counts over the ranks gives each its offset and all the total (and
// settles a failure of the local step on any rank: every rank throws
// weft::error), and point-to-point messages move the selected elements onto
// the new vector's partition (block by default): O(log P) messages for the
// scan, and a few per rank for the move when the selection is spread
// evenly. Collective and blocking; staged through host memory unless MPI
// can use the vectors' memory directly.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../compaction.hpp"
#include "../detail/device_function.hpp"
#include "../detail/profiling.hpp"
#include "../detail/tiles.hpp"
#include "../error.hpp"
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

namespace weft {

namespace detail {
template <class Exec, class X, class Pred>
std::remove_cvref_t<X> distributed_copy_if(const Exec& exec, const X& x, Pred pred,
                                           const partition* given) {  // null: a block partition
  using T = typename std::remove_cvref_t<X>::value_type;
  using M = typename std::remove_cvref_t<X>::memory_space;
  const char* algorithm = "weft::copy_if";
  const communicator& comm = x.comm();
  // The local compaction (the predicate, a scratch buffer) may fail on one
  // rank: the offsets' scan settles it on every rank.
  collective_check check(algorithm);
  std::optional<Kokkos::View<T*, M>> kept;  // never a default-constructed View (see detail/sort.hpp)
  std::int64_t mine = 0;
  check.attempt([&] {
    kept.emplace(scratch<T, Exec>("weft::copy_if::kept", x.local_size()));
    mine = weft::copy_if(exec, x.local(), *kept, pred);
  });
  // Where this rank's selection starts, and how many there are in all.
  const auto offsets =
      ordered_exclusive_scan(comm, check, optional_value<std::int64_t>{mine, true}, plus<>{}, algorithm);
  const std::int64_t offset = offsets.before.valid ? offsets.before.value : 0, total = offsets.total.value;
  // The same total on every rank: every rank reaches the same verdict.
  require(!given || given->global_size() == total, algorithm, ": ", total, " of ", x.global_size(),
          " elements pass the predicate, but the partition given for the result has ",
          given ? given->global_size() : 0);
  const partition to = given ? *given : partition::block(total, comm.size());
  std::remove_cvref_t<X> result(comm, to);  // collective: settles its allocation
  auto selected = Kokkos::subview(*kept, std::pair<std::int64_t, std::int64_t>(0, mine));
  collective_check move(algorithm);
  move_pieces(exec, comm, offset, to, move, algorithm, std::pair(selected, result.local()));
  return result;
}
}  // namespace detail

/// The elements x_i with pred(x_i) true, in global order, as a new vector
/// with a block partition (or `to`, whose global size must be their number:
/// else weft::error on every rank). Collective.
///   auto positive = weft::copy_if(x, KOKKOS_LAMBDA(double v) { return v > 0; });
template <execution_space Exec, distributed_1d X, class Pred>
std::remove_cvref_t<X> copy_if(const Exec& exec, const X& x, Pred pred) {
  const detail::profiling_region region("weft::copy_if");
  detail::static_check_device_callable<Exec, Pred>();
  return detail::distributed_copy_if(exec, x, pred, nullptr);
}

template <execution_space Exec, distributed_1d X, class Pred>
std::remove_cvref_t<X> copy_if(const Exec& exec, const X& x, Pred pred, const partition& to) {
  const detail::profiling_region region("weft::copy_if");
  detail::static_check_device_callable<Exec, Pred>();
  return detail::distributed_copy_if(exec, x, pred, &to);
}

template <distributed_1d X, class Pred>
std::remove_cvref_t<X> copy_if(const X& x, Pred pred) {
  const detail::profiling_region region("weft::copy_if");
  return detail::distributed_copy_if(detail::dist_exec_t<X>{}, x, pred, nullptr);
}

template <distributed_1d X, class Pred>
std::remove_cvref_t<X> copy_if(const X& x, Pred pred, const partition& to) {
  const detail::profiling_region region("weft::copy_if");
  return detail::distributed_copy_if(detail::dist_exec_t<X>{}, x, pred, &to);
}

}  // namespace weft
