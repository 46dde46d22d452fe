// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Moving distributed data: gather, all_gather, scatter, redistribute, and
// gather / scatter / redistribute of whole grids. All but all_gather run on
// weft's copy engine (detail/copy_engine.hpp), from plans the layouts build
// and keep (detail/movement_plans.hpp): one message per pair of ranks that
// share data, in pieces past 1 GiB, from and into the fields' memory where
// MPI can use it. All collective and blocking; each fences the field's
// execution space before MPI reads its memory. Device memory goes through
// host copies unless MPI can use it directly (GPU-aware MPI).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../error.hpp"
#include "communicator.hpp"
#include "detail/copy_engine.hpp"
#include "detail/movement_plans.hpp"
#include "detail/mpi.hpp"
#include "grid.hpp"
#include "halo.hpp"
#include "partition.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {
/// The owned elements of x in host memory.
template <class X>
std::vector<typename X::value_type> local_to_host(const X& x) {
  std::vector<typename X::value_type> host(static_cast<std::size_t>(x.local_size()));
  Kokkos::View<typename X::value_type*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(host.data(),
                                                                                                     host.size());
  Kokkos::deep_copy(h, x.local());
  return host;
}

/// Records that every rank must name the same root, a rank of comm.
inline void check_root(collective_check& check, const communicator& comm, int root, const char* algorithm) {
  check.same("the root", root);
  check.require(root >= 0 && root < comm.size(), algorithm, ": root ", root, " is not a rank of a communicator of ",
                comm.size(), " ranks");
}

inline std::vector<int> counts_of(const partition& p, const char* algorithm) {
  std::vector<int> counts(static_cast<std::size_t>(p.ranks()));
  for (std::size_t r = 0; r < counts.size(); ++r) counts[r] = mpi_count(p.local_size(static_cast<int>(r)), algorithm);
  return counts;
}

inline std::vector<int> displacements_of(const std::vector<int>& counts, const char* algorithm) {
  std::vector<int> displs(counts.size());
  std::int64_t at = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r] = mpi_count(at, algorithm);
    at += counts[r];
  }
  return displs;
}

/// The typed plan of movement `key` from the layout of `f`, with its
/// geometry from `geometry()`: both built once and kept by the layout (the
/// last few movements' only, see plan_cache).
template <class T, class M, class Field, class Geometry>
std::shared_ptr<const typed_copy_plan<T, M>> movement_plan(const Field& f, const plan_key& key, Geometry geometry,
                                                           const char* algorithm, bool subarrays) {
  const auto& layout = halo_access::layout(f);
  return halo_access::cached<typed_copy_plan<T, M>>(layout, key, [&] {
    auto g = halo_access::cached<copy_plan>(layout, key, [&] { return std::make_shared<const copy_plan>(geometry()); });
    return std::make_shared<const typed_copy_plan<T, M>>(std::move(g), algorithm, subarrays);
  });
}

/// A vector's blocks in the terms of a grid's: one split, one coordinate.
template <class F>
std::array<partition, 1> splits_of(const F& f) requires distributed_1d<F> {
  return std::array<partition, 1>{{f.partition()}};
}
template <class F>
auto splits_of(const F& f) requires grid<F> {
  return f.splits();
}
template <class F>
std::array<int, 1> coords_of(const F& f) requires distributed_1d<F> {
  return std::array<int, 1>{{f.comm().rank()}};
}
template <class F>
auto coords_of(const F& f) requires grid<F> {
  return f.coords();
}

/// Both sides of a gather to `root` (or of a scatter from it) of a vector
/// or grid f: every rank's block to or from root (its exchanger), and on
/// root the global field's side (every rank's block as a box of it; a
/// receive from or a send to root itself is a message too). Built, with
/// their buffers, before the caller settles its check, so that a failure on
/// one rank throws on all.
template <class F>
struct root_movement {
  using T = typename F::value_type;
  using M = typename F::memory_space;
  using field_view = typename typed_copy_plan<T, Kokkos::HostSpace>::storage_view;
  std::optional<copy_exchanger<T, M>> block;
  std::optional<copy_exchanger<T, Kokkos::HostSpace>> field;  // root only

  root_movement(const F& f, int root, bool gather, const char* algorithm) {
    const communicator& comm = f.comm();
    if (root < 0 || root >= comm.size()) return;  // check_root throws on every rank
    const std::int64_t direction = gather ? 0 : 1, halo = f.halo_width();
    const auto splits = splits_of(f);
    const auto coords = coords_of(f);
    block.emplace(movement_plan<T, M>(
                      f, plan_key(plan_key::gather, {root, direction, 0}),
                      [&] { return block_side_plan(splits, coords, halo, root, gather); }, algorithm, true),
                  exchange_tag);
    if (comm.rank() == root)
      field.emplace(movement_plan<T, Kokkos::HostSpace>(
                        f, plan_key(plan_key::gather, {root, direction, 1}),
                        [&] { return root_side_plan(splits, gather); }, algorithm, true),
                    exchange_tag);
  }

  /// Moves f's blocks into `global` on root (gather), or `global` on root
  /// into f's blocks (scatter); `global` is empty elsewhere.
  void run(const F& f, T* global, std::int64_t size, bool gather, const char* algorithm) {
    const MPI_Comm comm = f.comm().native();
    const auto storage = halo_access::storage(f);
    const field_view whole(global, static_cast<std::size_t>(size));
    const typename F::execution_space exec;
    const Kokkos::DefaultHostExecutionSpace host;
    // Receives first: a rank's message to itself finds its receive posted.
    if (gather) {
      if (field) field->start(host, field_view(), whole, std::nullopt, comm, algorithm);
      block->start(exec, storage, storage, std::nullopt, comm, algorithm);
    } else {
      block->start(exec, storage, storage, std::nullopt, comm, algorithm);
      if (field) field->start(host, whole, field_view(), std::nullopt, comm, algorithm);
    }
    block->finish(exec, storage, algorithm);
    if (field) field->finish(host, whole, algorithm);
    host.fence();
    exec.fence();
  }
};
}  // namespace detail

/// The whole vector, in global order, on `root`; an empty vector elsewhere.
/// Every rank sends its block to root in one message (in pieces past
/// 1 GiB), which root receives in place: no array over the ranks on any
/// rank but root. Collective.
///   auto all = weft::gather(x, 0);
template <distributed_1d X>
std::vector<typename X::value_type> gather(const X& x, int root = 0) {
  const detail::profiling_region region("weft::gather");
  using T = typename X::value_type;
  const char* algorithm = "weft::gather";
  const communicator& comm = x.comm();
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  std::vector<T> all;
  std::optional<detail::root_movement<X>> move;
  check.attempt([&] {
    move.emplace(x, root, true, algorithm);
    if (comm.rank() == root) all.resize(static_cast<std::size_t>(x.global_size()));
  });
  check.settle(comm);
  move->run(x, all.data(), static_cast<std::int64_t>(all.size()), true, algorithm);
  return all;
}

/// The whole vector, in global order, on every rank (MPI_Allgatherv: every
/// rank receives from every rank, at most INT_MAX elements in all).
template <distributed_1d X>
std::vector<typename X::value_type> all_gather(const X& x) {
  const detail::profiling_region region("weft::all_gather");
  using T = typename X::value_type;
  const char* algorithm = "weft::all_gather";
  const auto counts = detail::counts_of(x.partition(), algorithm);
  const auto displs = detail::displacements_of(counts, algorithm);
  detail::collective_check check(algorithm);
  std::vector<T> mine, all;
  check.attempt([&] {
    mine = detail::local_to_host(x);
    all.resize(static_cast<std::size_t>(x.global_size()));
  });
  check.settle(x.comm());
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Allgatherv(mine.data(), counts[static_cast<std::size_t>(x.comm().rank())], type.get(),
                                   all.data(), counts.data(), displs.data(), type.get(), x.comm().native()),
                    "MPI_Allgatherv", algorithm);
  return all;
}

/// A distributed vector under `p` holding `data`, which only `root` needs to
/// provide (it is ignored elsewhere): root sends every rank its block in
/// one message (in pieces past 1 GiB), received in place. Throws
/// weft::error on every rank if root's data does not have p.global_size()
/// elements.
///   auto x = weft::scatter(comm, rank == 0 ? read_file() : std::vector<double>{}, p, 0);
template <class T, class MemorySpace = Kokkos::DefaultExecutionSpace::memory_space>
distributed_vector<T, MemorySpace> scatter(const communicator& comm, const std::vector<T>& data,
                                           const partition& p, int root = 0) {
  const detail::profiling_region region("weft::scatter");
  const char* algorithm = "weft::scatter";
  distributed_vector<T, MemorySpace> x(comm, p);  // agrees on p, exactly, on every rank
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  check.require(comm.rank() != root || static_cast<std::int64_t>(data.size()) == p.global_size(), algorithm,
                ": root holds ", data.size(), " elements but the partition has ", p.global_size());
  std::optional<detail::root_movement<distributed_vector<T, MemorySpace>>> move;
  check.attempt([&] { move.emplace(x, root, false, algorithm); });
  check.settle(comm);
  // Root's data is only read: the engine's sends take a non-const pointer.
  move->run(x, const_cast<T*>(data.data()), static_cast<std::int64_t>(data.size()), false, algorithm);
  return x;
}

namespace detail {
template <class Tuple, std::size_t... K>
void require_movable_together(const Tuple& xs, const partition& to, std::index_sequence<K...>, const char* algorithm) {
  const auto& first = std::get<0>(xs);
  // Layouts are agreed on every rank when a vector is built, and so is `to`
  // when the new vectors are: these checks come out alike on every rank.
  require(((std::get<K>(xs).partition() == first.partition()) && ...), algorithm,
          ": the vectors are not all laid out on the same partition");
  require(((std::get<K>(xs).comm().size() == first.comm().size()) && ...) &&
              ((congruent(std::get<K>(xs).comm(), first.comm())) && ...),
          algorithm, ": the vectors do not share one communicator's ranks");
  require(to.global_size() == first.global_size(), algorithm, ": the new partition has ", to.global_size(),
          sizeof...(K) == 1 ? " elements, the vector " : " elements, the vectors ", first.global_size());
}
}  // namespace detail

/// Several vectors on one partition, moved together to another partition
/// (e.g. the state of a simulation: weft::balancer::apply uses it): each
/// rank sends the parts of its blocks that others now own straight to them,
/// all vectors in one round of messages (one per vector and pair of ranks
/// whose blocks overlap, from and into the vectors' memory where MPI can
/// use it, in pieces past 1 GiB), and copies what it keeps. The plan is
/// built once per pair of layouts and kept by the old layout (the last few
/// targets), so redistributing back and forth between two partitions plans
/// once. Keeps every vector's halo width and value type; vectors of one
/// halo width land on one new layout. The vectors must share a partition
/// and a communicator, and `to` must have their global size and be the same
/// on every rank; otherwise every rank throws weft::error. Collective.
///   std::tie(u, v) = weft::redistribute(std::tie(u, v), weft::partition::weighted(n, speeds));
template <class... X>
requires(sizeof...(X) > 0 &&
         (distributed_1d<X> && ...)) std::tuple<std::remove_cvref_t<X>...> redistribute(const std::tuple<X...>& xs,
                                                                                        const partition& to) {
  const detail::profiling_region region("weft::redistribute");
  const char* algorithm = "weft::redistribute";
  const auto& first = std::get<0>(xs);
  // One new layout per halo width among the vectors (each agrees on `to`,
  // exactly, on every rank).
  std::map<int, vector_layout> layouts;
  auto layout_for = [&](const auto& x) -> const vector_layout& {
    auto at = layouts.find(x.halo_width());
    if (at == layouts.end())
      at = layouts.emplace(x.halo_width(), vector_layout(x.comm(), to, halo{x.halo_width()})).first;
    return at->second;
  };
  auto ys = std::apply(
      [&](const auto&... x) {
        return std::tuple<std::remove_cvref_t<X>...>(std::remove_cvref_t<X>(layout_for(x), uninitialized)...);
      },
      xs);
  detail::require_movable_together(xs, to, std::index_sequence_for<X...>{}, algorithm);
  const communicator& comm = first.comm();
  const int me = comm.rank();
  // Every vector's exchanger, made (with its buffers) before the ranks settle.
  auto exchangers = std::apply(
      [](const auto&... x) {
        return std::tuple<
            std::optional<detail::copy_exchanger<typename std::remove_cvref_t<decltype(x)>::value_type,
                                                 typename std::remove_cvref_t<decltype(x)>::memory_space>>...>();
      },
      xs);
  detail::collective_check check(algorithm);
  check.attempt([&] {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const auto& x = std::get<K>(xs);
            using V = std::remove_cvref_t<decltype(x)>;
            using T = typename V::value_type;
            static_assert(std::is_trivially_copyable_v<T>,
                          "weft::redistribute: values move as bytes; the value type must be trivially copyable.");
            const std::int64_t to_halo = x.halo_width();
            const detail::plan_key key(detail::plan_key::redistribution, detail::redistribution_words({&to}, to_halo));
            std::get<K>(exchangers)
                .emplace(detail::movement_plan<T, typename V::memory_space>(
                             x, key,
                             [&] {
                               return detail::vector_redistribution_plan(x.partition(), x.halo_width(), to, to_halo,
                                                                         me);
                             },
                             algorithm, false),
                         detail::redistribute_tag);
          }(),
          ...);
    }(std::index_sequence_for<X...>{});
  });
  check.settle(comm);
  // One round: every vector's messages posted before any is waited for.
  // Each start fences its vector's execution space (the user's writes).
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (std::get<K>(exchangers)
         ->start(typename std::remove_cvref_t<decltype(std::get<K>(xs))>::execution_space(),
                 detail::halo_access::storage(std::get<K>(xs)), detail::halo_access::storage(std::get<K>(ys)),
                 std::nullopt, comm.native(), algorithm),
     ...);
    (std::get<K>(exchangers)
         ->finish(typename std::remove_cvref_t<decltype(std::get<K>(xs))>::execution_space(),
                  detail::halo_access::storage(std::get<K>(ys)), algorithm),
     ...);
  }(std::index_sequence_for<X...>{});
  std::apply([](const auto&... y) { (typename std::remove_cvref_t<decltype(y)>::execution_space().fence(), ...); },
             ys);
  return ys;
}

/// The same global contents under another partition (e.g. weights from
/// measured speeds): each rank sends the parts of its block that others now
/// own straight to them (only to the ranks whose new blocks overlap its old
/// one; blocks of any size). Keeps x's halo width. The new partition must
/// be the same on every rank and have x's global size; otherwise every
/// rank throws weft::error. Collective.
///   auto balanced = weft::redistribute(x, weft::partition::weighted(n, speeds));
template <distributed_1d X>
std::remove_cvref_t<X> redistribute(const X& x, const partition& to) {
  return std::get<0>(redistribute(std::tie(x), to));
}

/// The same global field under other splits of the same process grid (e.g.
/// weft::weighted_splits from measured speeds): a new grid with g's
/// options (halo, periodicity, shape), process grid and communicator (its
/// layout is g.layout().with_splits(to): no communicator is made), each
/// rank holding its new block of g's interior values. Each rank sends every
/// rank whose new block meets its old one the box they share, packed
/// row-major in one message (in pieces past 1 GiB; one contiguous run goes
/// from the storage itself), and copies what it keeps directly; the plan
/// is kept by g's layout for the last few targets. The halo of the result
/// is unspecified until its next exchange_halo. Collective and blocking.
/// `to` must be the same on every rank, with to[d].ranks() == g.dims()[d]
/// and to[d].global_size() == g.global_extent(d), and make a valid layout
/// (see distributed_grid's constructor from splits); otherwise, or if an
/// allocation fails on any rank, every rank throws weft::error before any
/// value moves.
///   auto balanced = weft::redistribute(u, weft::weighted_splits<2>({n0, n1}, u.dims(), speeds, u.halo_width()));
template <grid G>
std::remove_cvref_t<G> redistribute(const G& g, const std::array<partition, std::remove_cvref_t<G>::rank>& to) {
  const detail::profiling_region region("weft::redistribute");
  using V = std::remove_cvref_t<G>;
  using T = typename V::value_type;
  using M = typename V::memory_space;
  constexpr std::size_t R = V::rank;
  const char* algorithm = "weft::redistribute";
  const communicator& comm = g.comm();
  {
    detail::collective_check check(algorithm);
    for (std::size_t d = 0; d < R; ++d) {
      check.require(to[d].ranks() == g.dims()[d], algorithm, ": the new split of dimension ", d, " has ",
                    to[d].ranks(), " blocks but the grid has ", g.dims()[d],
                    " ranks along it (redistribute keeps the process grid)");
      check.require(to[d].global_size() == g.global_extent(int(d)), algorithm, ": the new split of dimension ", d,
                    " covers ", to[d].global_size(), " points, the grid ", g.global_extent(int(d)));
    }
    check.settle(comm);
  }
  // On g's process grid and communicator (no new one): agrees on `to`,
  // exactly, on every rank; rank r of y is rank r of g.
  V y(g.layout().with_splits(to));

  std::vector<const partition*> words;
  for (const auto& p : to) words.push_back(&p);
  const detail::plan_key key(detail::plan_key::redistribution, detail::redistribution_words(words, g.halo_width()));
  detail::collective_check check(algorithm);
  std::optional<detail::copy_exchanger<T, M>> exchanger;
  check.attempt([&] {
    exchanger.emplace(
        detail::movement_plan<T, M>(
            g, key,
            [&] { return detail::grid_redistribution_plan(g.splits(), to, g.coords(), g.halo_width(), comm.rank()); },
            algorithm, false),
        detail::redistribute_tag);
  });
  check.settle(comm);
  const typename V::execution_space exec;  // start() fences it: the user's writes to g are done
  const auto from = detail::halo_access::storage(g), into = detail::halo_access::storage(y);
  exchanger->start(exec, from, into, std::nullopt, comm.native(), algorithm);
  exchanger->finish(exec, into, algorithm);
  exec.fence();
  return y;
}

/// The whole grid on `root`, in global row-major order; an empty vector
/// elsewhere. Every rank sends its block to root in one message, which root
/// receives straight into its place in the field (an MPI subarray in host
/// memory): no second copy of the field on root, no array over the ranks
/// on any other rank. Collective.
///   auto field = weft::gather(u, 0);   // field[i * n1 + j] on rank 0
template <grid G>
std::vector<typename G::value_type> gather(const G& g, int root = 0) {
  const detail::profiling_region region("weft::gather");
  using T = typename G::value_type;
  const char* algorithm = "weft::gather";
  const communicator& comm = g.comm();
  std::int64_t points = 1;
  for (int d = 0; d < G::rank; ++d) points *= g.global_extent(d);
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  std::vector<T> field;
  std::optional<detail::root_movement<G>> move;
  check.attempt([&] {
    move.emplace(g, root, true, algorithm);
    if (comm.rank() == root) field.resize(static_cast<std::size_t>(points));
  });
  check.settle(comm);
  move->run(g, field.data(), static_cast<std::int64_t>(field.size()), true, algorithm);
  return field;
}

/// Fills the owned points of `g` from a whole field in global row-major
/// order that only `root` needs to hold (ignored elsewhere): the inverse of
/// gather. Throws weft::error on every rank if root's field does not have
/// one value per grid point. Collective; the halo is left as it was.
///   weft::scatter(rank == 0 ? read_image() : std::vector<float>{}, image, 0);
template <grid G>
void scatter(const std::vector<typename G::value_type>& field, const G& g, int root = 0) {
  const detail::profiling_region region("weft::scatter");
  using T = typename G::value_type;
  const char* algorithm = "weft::scatter";
  const communicator& comm = g.comm();
  std::int64_t points = 1;
  for (int d = 0; d < G::rank; ++d) points *= g.global_extent(d);
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  check.require(comm.rank() != root || static_cast<std::int64_t>(field.size()) == points, algorithm, ": root holds ",
                field.size(), " values but the grid has ", points, " points");
  std::optional<detail::root_movement<G>> move;
  check.attempt([&] { move.emplace(g, root, false, algorithm); });
  check.settle(comm);
  move->run(g, const_cast<T*>(field.data()), static_cast<std::int64_t>(field.size()), false, algorithm);
}

}  // namespace weft
