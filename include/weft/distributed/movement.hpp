// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Moving distributed data: gather, all_gather, scatter, redistribute, and
// gather / scatter / redistribute of whole grids.
// All collective and blocking; each fences the vector's execution space
// before MPI reads its memory. Device memory goes through host copies
// unless MPI can use it directly (GPU-aware MPI).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../error.hpp"
#include "communicator.hpp"
#include "detail/mpi.hpp"
#include "grid.hpp"
#include "partition.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
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

template <class X>
void host_to_local(const std::vector<typename X::value_type>& host, const X& x) {
  Kokkos::View<const typename X::value_type*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(
      host.data(), host.size());
  Kokkos::deep_copy(x.local(), h);
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
}  // namespace detail

/// The whole vector, in global order, on `root`; an empty vector elsewhere.
///   auto all = weft::gather(x, 0);
template <distributed_1d X>
std::vector<typename X::value_type> gather(const X& x, int root = 0) {
  const detail::profiling_region region("weft::gather");
  using T = typename X::value_type;
  const char* algorithm = "weft::gather";
  const auto counts = detail::counts_of(x.partition(), algorithm);  // the partition is agreed: throws everywhere or nowhere
  const auto displs = detail::displacements_of(counts, algorithm);
  detail::collective_check check(algorithm);
  detail::check_root(check, x.comm(), root, algorithm);
  std::vector<T> mine, all;
  check.attempt([&] {
    mine = detail::local_to_host(x);
    if (x.comm().rank() == root) all.resize(static_cast<std::size_t>(x.global_size()));
  });
  check.settle(x.comm());
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Gatherv(mine.data(), counts[static_cast<std::size_t>(x.comm().rank())], type.get(), all.data(), counts.data(),
                                displs.data(), type.get(), root, x.comm().native()),
                    "MPI_Gatherv", algorithm);
  return all;
}

/// The whole vector, in global order, on every rank.
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
  detail::check_mpi(MPI_Allgatherv(mine.data(), counts[static_cast<std::size_t>(x.comm().rank())], type.get(), all.data(), counts.data(),
                                   displs.data(), type.get(), x.comm().native()),
                    "MPI_Allgatherv", algorithm);
  return all;
}

/// A distributed vector under `p` holding `data`, which only `root` needs to
/// provide (it is ignored elsewhere). Throws weft::error on every rank if
/// root's data does not have p.global_size() elements.
///   auto x = weft::scatter(comm, rank == 0 ? read_file() : std::vector<double>{}, p, 0);
template <class T, class MemorySpace = Kokkos::DefaultExecutionSpace::memory_space>
distributed_vector<T, MemorySpace> scatter(const communicator& comm, const std::vector<T>& data,
                                           const partition& p, int root = 0) {
  const detail::profiling_region region("weft::scatter");
  const char* algorithm = "weft::scatter";
  distributed_vector<T, MemorySpace> x(comm, p);  // agrees on p, exactly, on every rank
  const auto counts = detail::counts_of(p, algorithm);
  const auto displs = detail::displacements_of(counts, algorithm);
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  check.require(comm.rank() != root || static_cast<std::int64_t>(data.size()) == p.global_size(), algorithm,
                ": root holds ", data.size(), " elements but the partition has ", p.global_size());
  std::vector<T> mine;
  check.attempt([&] { mine.resize(static_cast<std::size_t>(x.local_size())); });
  check.settle(comm);
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Scatterv(data.data(), counts.data(), displs.data(), type.get(), mine.data(),
                                 counts[static_cast<std::size_t>(comm.rank())], type.get(), root, comm.native()),
                    "MPI_Scatterv", algorithm);
  detail::host_to_local(mine, x);
  return x;
}

namespace detail {
/// Calls f(q, begin, end) for every rank q whose block under p meets
/// [begin, end), with the overlap [begin, end) of the two.
template <class F>
void for_each_overlap(const partition& p, std::int64_t begin, std::int64_t end, F f) {
  if (begin >= end) return;
  for (int q = p.owner(begin); q < p.ranks() && p.offset(q) < end; ++q) {
    const std::int64_t lo = std::max(begin, p.offset(q)), hi = std::min(end, p.offset(q + 1));
    if (lo < hi) f(q, lo, hi);
  }
}

}  // namespace detail

namespace detail {
/// One vector's side of a redistribution: where its owned elements sit
/// (its memory, or a host copy where MPI cannot use that memory) before and
/// after, and its element size.
struct moving_block {
  std::byte* old_data = nullptr;
  std::byte* new_data = nullptr;
  std::int64_t element_bytes = 0;
};

/// Posts the messages that carry the elements [lo, hi) (global indices,
/// the block starting at `begin`) of every vector to or from `peer`: one
/// contiguous message per vector straight from or into its memory (pieces
/// of at most message_piece_bytes()), all in the caller's one round of requests. Sender and
/// receiver post them in the same order, and MPI keeps messages between
/// two ranks with one tag in order, so they match one to one. (One
/// message per peer through an MPI derived type over all the vectors was
/// slower: Open MPI packs such types through a copy, where contiguous
/// messages go by single-copy shared memory.)
inline void post_runs(bool send, const std::vector<moving_block>& blocks, std::int64_t begin, std::int64_t lo,
                      std::int64_t hi, int peer, MPI_Comm comm, std::vector<MPI_Request>& requests,
                      const char* algorithm) {
  constexpr int tag = 0x7ef8;
  const std::int64_t most = message_piece_bytes();  // bytes per message: fits MPI's int
  for (const auto& b : blocks) {
    std::byte* at = (send ? b.old_data : b.new_data) + (lo - begin) * b.element_bytes;
    for (std::int64_t left = (hi - lo) * b.element_bytes; left > 0;) {
      const int bytes = static_cast<int>(std::min(left, most));
      requests.emplace_back();
      if (send) check_mpi(MPI_Isend(at, bytes, MPI_BYTE, peer, tag, comm, &requests.back()), "MPI_Isend", algorithm);
      else check_mpi(MPI_Irecv(at, bytes, MPI_BYTE, peer, tag, comm, &requests.back()), "MPI_Irecv", algorithm);
      at += bytes;
      left -= bytes;
    }
  }
}

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
/// all vectors in one round of messages (one per vector and pair of ranks,
/// from and into the vectors' memory: nothing is packed). Keeps
/// every vector's ghost width and value type. The vectors must share a
/// partition and a communicator, and `to` must have their global size and
/// be the same on every rank; otherwise every rank throws weft::error.
/// Collective.
///   std::tie(u, v) = weft::redistribute(std::tie(u, v), weft::partition::weighted(n, speeds));
template <class... X>
requires(sizeof...(X) > 0 &&
         (distributed_1d<X> && ...)) std::tuple<std::remove_cvref_t<X>...> redistribute(const std::tuple<X...>& xs,
                                                                                        const partition& to) {
  const detail::profiling_region region("weft::redistribute");
  const char* algorithm = "weft::redistribute";
  const auto& first = std::get<0>(xs);
  const partition& from = first.partition();
  const communicator& comm = first.comm();
  auto ys = std::apply(
      [&](const auto&... x) {  // each agrees on `to`, exactly, on every rank
        return std::tuple<std::remove_cvref_t<X>...>(
            std::remove_cvref_t<X>(x.comm(), to, halo{x.halo_width()}, uninitialized)...);
      },
      xs);
  detail::require_movable_together(xs, to, std::index_sequence_for<X...>{}, algorithm);
  const int me = comm.rank();
  const std::int64_t old_begin = from.offset(me), new_begin = to.offset(me);
  constexpr std::size_t count = sizeof...(X);
  std::vector<detail::moving_block> blocks(count);
  std::array<std::vector<std::byte>, count> old_host, new_host;  // where MPI cannot use the memory
  std::array<bool, count> direct{};
  detail::collective_check check(algorithm);
  check.attempt([&] {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const auto& x = std::get<K>(xs);
            const auto& y = std::get<K>(ys);
            using V = std::remove_cvref_t<decltype(x)>;
            using T = typename V::value_type;
            static_assert(std::is_trivially_copyable_v<T>,
                          "weft::redistribute: values move as bytes; the value type must be trivially copyable.");
            direct[K] = detail::mpi_can_use_directly<typename V::memory_space>();
            blocks[K].element_bytes = static_cast<std::int64_t>(sizeof(T));
            if (direct[K]) {
              blocks[K].old_data = reinterpret_cast<std::byte*>(x.local().data());
              blocks[K].new_data = reinterpret_cast<std::byte*>(y.local().data());
              return;
            }
            old_host[K].resize(static_cast<std::size_t>(x.local_size()) * sizeof(T));
            new_host[K].resize(static_cast<std::size_t>(y.local_size()) * sizeof(T));
            Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> staged(
                reinterpret_cast<T*>(old_host[K].data()), static_cast<std::size_t>(x.local_size()));
            Kokkos::deep_copy(staged, x.local());
            blocks[K].old_data = old_host[K].data();
            blocks[K].new_data = new_host[K].data();
          }(),
          ...);
    }(std::index_sequence_for<X...>{});
  });
  check.settle(comm);
  std::apply([](const auto&... x) { (typename std::remove_cvref_t<decltype(x)>::execution_space().fence(), ...); },
             xs);
  std::vector<MPI_Request> requests;
  detail::for_each_overlap(from, new_begin, new_begin + to.local_size(me), [&](int q, std::int64_t lo, std::int64_t hi) {
    if (q != me) detail::post_runs(false, blocks, new_begin, lo, hi, q, comm.native(), requests, algorithm);
  });
  detail::for_each_overlap(to, old_begin, old_begin + from.local_size(me), [&](int q, std::int64_t lo, std::int64_t hi) {
    if (q != me) {
      detail::post_runs(true, blocks, old_begin, lo, hi, q, comm.native(), requests, algorithm);
      return;
    }
    // What stays on this rank: copied in its own memory.
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const std::pair<std::int64_t, std::int64_t> old_range(lo - old_begin, hi - old_begin),
                new_range(lo - new_begin, hi - new_begin);
            if (direct[K]) {
              Kokkos::deep_copy(Kokkos::subview(std::get<K>(ys).local(), new_range),
                                Kokkos::subview(std::get<K>(xs).local(), old_range));
            } else {
              const auto bytes = blocks[K].element_bytes;
              std::copy(blocks[K].old_data + old_range.first * bytes, blocks[K].old_data + old_range.second * bytes,
                        blocks[K].new_data + new_range.first * bytes);
            }
          }(),
          ...);
    }(std::index_sequence_for<X...>{});
  });
  if (!requests.empty())
    detail::check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
                      "MPI_Waitall", algorithm);
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          if (direct[K]) return;
          using T = typename std::remove_cvref_t<decltype(std::get<K>(ys))>::value_type;
          const auto& y = std::get<K>(ys);
          Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> staged(
              reinterpret_cast<const T*>(new_host[K].data()), static_cast<std::size_t>(y.local_size()));
          Kokkos::deep_copy(y.local(), staged);
        }(),
        ...);
  }(std::index_sequence_for<X...>{});
  std::apply([](const auto&... y) { (typename std::remove_cvref_t<decltype(y)>::execution_space().fence(), ...); },
             ys);
  return ys;
}

/// The same global contents under another partition (e.g. weights from
/// measured speeds): each rank sends the parts of its block that others now
/// own straight to them (only to the ranks whose new blocks overlap its old
/// one; blocks of any size). Keeps x's ghost width. The new partition must
/// be the same on every rank and have x's global size; otherwise every
/// rank throws weft::error. Collective.
///   auto balanced = weft::redistribute(x, weft::partition::weighted(n, speeds));
template <distributed_1d X>
std::remove_cvref_t<X> redistribute(const X& x, const partition& to) {
  return std::get<0>(redistribute(std::tie(x), to));
}

namespace detail {
/// Where every rank's block of a grid sits: its extents and offsets (from
/// the replicated splits, no communication) and its place in the rank-ordered
/// concatenation of packed blocks that MPI_Gatherv / MPI_Scatterv move.
template <int R>
struct grid_blocks {
  std::vector<std::array<std::int64_t, static_cast<std::size_t>(R)>> extent, offset;
  std::vector<int> counts, displs;
  std::int64_t total = 0;
};

template <class G>
grid_blocks<G::rank> blocks_of(const G& g, const char* algorithm) {
  constexpr int R = G::rank;
  const auto size = static_cast<std::size_t>(g.comm().size());
  grid_blocks<R> b;
  b.extent.resize(size);
  b.offset.resize(size);
  b.counts.resize(size);
  b.displs.resize(size);
  for (std::size_t r = 0; r < size; ++r) {
    std::int64_t points = 1;
    int rest = static_cast<int>(r);
    for (std::size_t d = static_cast<std::size_t>(R); d-- > 0;) {  // Cartesian ranks are row-major
      const int c = rest % g.dims()[d];
      rest /= g.dims()[d];
      b.extent[r][d] = g.split(static_cast<int>(d)).local_size(c);
      b.offset[r][d] = g.split(static_cast<int>(d)).offset(c);
      points *= b.extent[r][d];
    }
    b.counts[r] = mpi_count(points, algorithm);
    b.displs[r] = mpi_count(b.total, algorithm);
    b.total += points;
  }
  return b;
}

/// Calls copy(position in the packed blocks, position in the global
/// row-major field, length) for every row of every block.
template <class G, class Copy>
void for_each_block_row(const G& g, const grid_blocks<G::rank>& b, Copy copy) {
  constexpr int R = G::rank;
  for (std::size_t r = 0; r < b.counts.size(); ++r) {
    const auto& m = b.extent[r];
    const auto& off = b.offset[r];
    const std::int64_t rows = R == 2 ? m[0] : m[0] * m[1];
    for (std::int64_t row = 0; row < rows && m[R - 1] > 0; ++row) {
      const std::int64_t i = R == 2 ? row : row / m[1];
      std::int64_t at = off[0] + i;
      if constexpr (R == 3) at = at * g.global_extent(1) + off[1] + row % m[1];
      at = at * g.global_extent(R - 1) + off[R - 1];
      copy(b.displs[r] + row * m[R - 1], at, m[R - 1]);
    }
  }
}

/// A contiguous row-major copy of g's interior, in g's memory space.
template <class G>
typename G::storage_type packed_block(const G& g, const char* label) {
  const std::string name(label);
  auto extent = [&](int d) { return static_cast<std::size_t>(g.local_extent(d)); };
  if constexpr (G::rank == 2) return typename G::storage_type(name, extent(0), extent(1));
  else return typename G::storage_type(name, extent(0), extent(1), extent(2));
}

template <class G>
std::int64_t block_points(const G& g) {
  std::int64_t points = 1;
  for (int d = 0; d < G::rank; ++d) points *= g.local_extent(d);
  return points;
}
}  // namespace detail

namespace detail {
/// Where block `coords` of splits `a` meets the block of one rank under
/// splits `b` (same process grid): that rank and the box of global points.
template <std::size_t R>
struct grid_box {
  int peer;
  std::array<std::int64_t, R> begin, extent;
  std::int64_t points;
};

/// Every non-empty meeting of block `coords` under `a` with a block under
/// `b`, in increasing rank order (MPI's row-major Cartesian ranks).
template <std::size_t R>
std::vector<grid_box<R>> grid_overlaps(const std::array<partition, R>& a, const std::array<int, R>& coords,
                                       const std::array<partition, R>& b) {
  struct piece {
    int c;
    std::int64_t lo, hi;
  };
  std::array<std::vector<piece>, R> along;
  for (std::size_t d = 0; d < R; ++d) {
    const std::int64_t lo = a[d].offset(coords[d]);
    for_each_overlap(b[d], lo, lo + a[d].local_size(coords[d]),
                     [&](int c, std::int64_t l, std::int64_t h) { along[d].push_back({c, l, h}); });
    if (along[d].empty()) return {};
  }
  std::vector<grid_box<R>> boxes;
  std::array<std::size_t, R> k{};  // an odometer over the pieces, the last dimension fastest
  while (true) {
    grid_box<R> box{0, {}, {}, 1};
    for (std::size_t d = 0; d < R; ++d) {
      const piece& p = along[d][k[d]];
      box.peer = box.peer * b[d].ranks() + p.c;
      box.begin[d] = p.lo;
      box.extent[d] = p.hi - p.lo;
      box.points *= box.extent[d];
    }
    boxes.push_back(box);
    std::size_t d = R;
    while (d-- > 0 && ++k[d] == along[d].size()) k[d] = 0;
    if (d == std::size_t(-1)) break;  // every odometer digit wrapped
  }
  return boxes;
}

/// The part of a grid's interior (or of any rank-R view of its block) over
/// a box of global points, given the block's first global point.
template <std::size_t R, class View>
auto box_of(const View& v, const grid_box<R>& box, const std::array<std::int64_t, R>& origin) {
  auto range = [&](std::size_t d) {
    const std::int64_t at = box.begin[d] - origin[d];
    return std::pair<std::int64_t, std::int64_t>(at, at + box.extent[d]);
  };
  if constexpr (R == 2) return Kokkos::subview(v, range(0), range(1));
  else return Kokkos::subview(v, range(0), range(1), range(2));
}

/// A box packed row-major at `data`, as a view of the grid's rank.
template <class G, std::size_t R>
auto packed_box(typename G::value_type* data, const grid_box<R>& box) {
  using view = Kokkos::View<typename G::storage_type::data_type, Kokkos::LayoutRight, typename G::memory_space,
                            Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  auto e = [&](std::size_t d) { return static_cast<std::size_t>(box.extent[d]); };
  if constexpr (R == 2) return view(data, e(0), e(1));
  else return view(data, e(0), e(1), e(2));
}
}  // namespace detail

/// The same global field under other splits of the same process grid (e.g.
/// weft::weighted_splits from measured speeds): a new grid with g's
/// options (halo, periodicity, shape), process grid and communicator (its
/// layout is g.layout().with_splits(to): no communicator is made), each rank holding
/// its new block of g's interior values. Each rank sends every rank whose
/// new block meets its old one the box they share, packed row-major in one
/// message (in pieces past 1 GiB), and copies what it keeps directly. The
/// halo of the result is unspecified until its next exchange_halo.
/// Collective and blocking. `to` must be the same on every rank, with
/// to[d].ranks() == g.dims()[d] and to[d].global_size() ==
/// g.global_extent(d), and make a valid layout (see distributed_grid's
/// constructor from splits); otherwise, or if an allocation fails on any
/// rank, every rank throws weft::error before any value moves.
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

  const int me = comm.rank();
  std::array<int, R> coords;
  std::array<std::int64_t, R> old_origin, new_origin;
  for (std::size_t d = 0; d < R; ++d) {
    coords[d] = g.coords()[d];
    old_origin[d] = g.offset(int(d));
    new_origin[d] = y.offset(int(d));
  }
  const auto sends = detail::grid_overlaps(g.splits(), coords, to);
  const auto recvs = detail::grid_overlaps(to, coords, g.splits());
  std::int64_t send_points = 0, recv_points = 0;
  for (const auto& b : sends) send_points += b.peer == me ? 0 : b.points;
  for (const auto& b : recvs) recv_points += b.peer == me ? 0 : b.points;

  // Boxes are packed on the grid's memory space (deep_copy from and to
  // subviews) and handed to MPI there if it can use that memory, else
  // through host copies of the two buffers.
  const bool direct = detail::mpi_can_use_directly<M>();
  detail::collective_check check(algorithm);
  std::optional<Kokkos::View<T*, M>> send_buffer, recv_buffer;  // never a default-constructed View (see sort.hpp)
  std::vector<T> send_host, recv_host;
  check.attempt([&] {
    send_buffer.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, "weft::redistribute"),
                        static_cast<std::size_t>(send_points));
    recv_buffer.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, "weft::redistribute"),
                        static_cast<std::size_t>(recv_points));
    if (!direct) {
      send_host.resize(static_cast<std::size_t>(send_points));
      recv_host.resize(static_cast<std::size_t>(recv_points));
    }
  });
  check.settle(comm);

  typename V::execution_space().fence();  // the user's writes to g's interior are done
  std::int64_t at = 0;
  for (const auto& b : sends) {
    if (b.peer == me) {
      Kokkos::deep_copy(detail::box_of(y.local(), b, new_origin), detail::box_of(g.local(), b, old_origin));
    } else {
      Kokkos::deep_copy(detail::packed_box<V>(send_buffer->data() + at, b), detail::box_of(g.local(), b, old_origin));
      at += b.points;
    }
  }
  T* send_data = send_buffer->data();
  T* recv_data = recv_buffer->data();
  if (!direct) {
    Kokkos::deep_copy(Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(send_host.data(),
                                                                                                  send_host.size()),
                      *send_buffer);
    send_data = send_host.data();
    recv_data = recv_host.data();
  }
  Kokkos::fence();  // the packed boxes are in place before MPI reads them
  detail::mpi_element_type<T> type(algorithm);
  constexpr int redistribute_tag = 0x7ef8;
  std::vector<MPI_Request> requests;
  at = 0;
  for (const auto& b : recvs) {
    if (b.peer == me) continue;
    detail::post_in_pieces(false, recv_data + at, b.points, b.peer, type.get(), redistribute_tag, comm.native(),
                           requests, algorithm);
    at += b.points;
  }
  at = 0;
  for (const auto& b : sends) {
    if (b.peer == me) continue;
    detail::post_in_pieces(true, send_data + at, b.points, b.peer, type.get(), redistribute_tag, comm.native(),
                           requests, algorithm);
    at += b.points;
  }
  if (!requests.empty())
    detail::check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
                      "MPI_Waitall", algorithm);
  if (!direct)
    Kokkos::deep_copy(*recv_buffer, Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                                       recv_host.data(), recv_host.size()));
  at = 0;
  for (const auto& b : recvs) {
    if (b.peer == me) continue;
    Kokkos::deep_copy(detail::box_of(y.local(), b, new_origin), detail::packed_box<V>(recv_buffer->data() + at, b));
    at += b.points;
  }
  return y;
}

/// The whole grid on `root`, in global row-major order; an empty vector
/// elsewhere. Collective.
///   auto field = weft::gather(u, 0);   // field[i * n1 + j] on rank 0
template <grid G>
std::vector<typename G::value_type> gather(const G& g, int root = 0) {
  const detail::profiling_region region("weft::gather");
  using T = typename G::value_type;
  const char* algorithm = "weft::gather";
  const communicator& comm = g.comm();
  const auto b = detail::blocks_of(g, algorithm);  // the layout is agreed: throws everywhere or nowhere
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  std::vector<T> mine, blocks, field;
  check.attempt([&] {
    // This rank's block, packed row-major, then in host memory.
    mine.resize(static_cast<std::size_t>(detail::block_points(g)));
    auto packed = detail::packed_block(g, "weft::gather");
    Kokkos::deep_copy(packed, g.local());
    Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(mine.data(), mine.size());
    Kokkos::View<T*, typename G::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>> flat(packed.data(),
                                                                                              mine.size());
    Kokkos::deep_copy(host, flat);
    if (comm.rank() == root) {
      blocks.resize(static_cast<std::size_t>(b.total));
      field.resize(static_cast<std::size_t>(b.total));
    }
  });
  check.settle(comm);
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Gatherv(mine.data(), b.counts[static_cast<std::size_t>(comm.rank())], type.get(), blocks.data(), b.counts.data(),
                                b.displs.data(), type.get(), root, comm.native()),
                    "MPI_Gatherv", algorithm);
  if (comm.rank() != root) return {};
  detail::for_each_block_row(g, b, [&](std::int64_t from, std::int64_t to, std::int64_t length) {
    std::copy_n(blocks.begin() + from, length, field.begin() + to);
  });
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
  const auto b = detail::blocks_of(g, algorithm);
  detail::collective_check check(algorithm);
  detail::check_root(check, comm, root, algorithm);
  check.require(comm.rank() != root || static_cast<std::int64_t>(field.size()) == b.total, algorithm, ": root holds ",
                field.size(), " values but the grid has ", b.total, " points");
  std::vector<T> blocks, mine;
  std::optional<typename G::storage_type> packed;  // never a default-constructed View (see sort.hpp)
  check.attempt([&] {  // every allocation before the agreement: after it, nothing may throw on one rank only
    mine.resize(static_cast<std::size_t>(detail::block_points(g)));
    packed.emplace(detail::packed_block(g, "weft::scatter"));
    if (comm.rank() == root) blocks.resize(static_cast<std::size_t>(b.total));
  });
  check.settle(comm);
  if (comm.rank() == root) {
    detail::for_each_block_row(g, b, [&](std::int64_t to, std::int64_t from, std::int64_t length) {
      std::copy_n(field.begin() + from, length, blocks.begin() + to);
    });
  }
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Scatterv(blocks.data(), b.counts.data(), b.displs.data(), type.get(), mine.data(),
                                 b.counts[static_cast<std::size_t>(comm.rank())], type.get(), root, comm.native()),
                    "MPI_Scatterv", algorithm);
  Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(mine.data(), mine.size());
  Kokkos::View<T*, typename G::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>> flat(packed->data(),
                                                                                            mine.size());
  Kokkos::deep_copy(flat, host);
  Kokkos::deep_copy(g.local(), *packed);
}

}  // namespace weft
