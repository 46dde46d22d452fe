// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Moving distributed data: gather, all_gather, scatter, redistribute, and
// gather / scatter of whole grids.
// All collective and blocking; each fences the vector's execution space
// before MPI reads its memory. Device memory goes through host copies
// unless MPI can use it directly (GPU-aware MPI).

#include "../detail/config.hpp"  // first: the C++20 check

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
template <distributed X>
std::vector<typename X::value_type> gather(const X& x, int root = 0) {
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
template <distributed X>
std::vector<typename X::value_type> all_gather(const X& x) {
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

/// Posts the messages that move elements [0, count) of `data` to or from
/// `peer`, in pieces of at most 1 GiB each (so any count fits MPI's int),
/// which arrive in order: MPI does not let messages with the same source,
/// tag and communicator overtake each other.
template <class T>
void post_in_pieces(bool send, T* data, std::int64_t count, int peer, MPI_Datatype type, MPI_Comm comm,
                    std::vector<MPI_Request>& requests, const char* algorithm) {
  constexpr int tag = 0x7ef8;
  const std::int64_t piece = std::max<std::int64_t>(1, (std::int64_t(1) << 30) / std::int64_t(sizeof(T)));
  for (std::int64_t at = 0; at < count; at += piece) {
    const int n = static_cast<int>(std::min(piece, count - at));
    requests.emplace_back();
    if (send) check_mpi(MPI_Isend(data + at, n, type, peer, tag, comm, &requests.back()), "MPI_Isend", algorithm);
    else check_mpi(MPI_Irecv(data + at, n, type, peer, tag, comm, &requests.back()), "MPI_Irecv", algorithm);
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
/// of at most 1 GiB), all in the caller's one round of requests. Sender and
/// receiver post them in the same order, and MPI keeps messages between
/// two ranks with one tag in order, so they match one to one. (One
/// message per peer through an MPI derived type over all the vectors was
/// slower: Open MPI packs such types through a copy, where contiguous
/// messages go by single-copy shared memory.)
inline void post_runs(bool send, const std::vector<moving_block>& blocks, std::int64_t begin, std::int64_t lo,
                      std::int64_t hi, int peer, MPI_Comm comm, std::vector<MPI_Request>& requests,
                      const char* algorithm) {
  constexpr int tag = 0x7ef8;
  constexpr std::int64_t most = std::int64_t(1) << 30;  // bytes per message: fits MPI's int
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
void require_same_layout(const Tuple& xs, const partition& to, std::index_sequence<K...>, const char* algorithm) {
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
  requires(sizeof...(X) > 0 && (distributed<X> && ...))
std::tuple<std::remove_cvref_t<X>...> redistribute(const std::tuple<X...>& xs, const partition& to) {
  const char* algorithm = "weft::redistribute";
  const auto& first = std::get<0>(xs);
  const partition& from = first.partition();
  const communicator& comm = first.comm();
  auto ys = std::apply(
      [&](const auto&... x) {  // each agrees on `to`, exactly, on every rank
        return std::tuple<std::remove_cvref_t<X>...>(
            std::remove_cvref_t<X>(x.comm(), to, ghosts{x.ghost_width()}, uninitialized)...);
      },
      xs);
  detail::require_same_layout(xs, to, std::index_sequence_for<X...>{}, algorithm);
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
template <distributed X>
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

/// The whole grid on `root`, in global row-major order; an empty vector
/// elsewhere. Collective.
///   auto field = weft::gather(u, 0);   // field[i * n1 + j] on rank 0
template <grid G>
std::vector<typename G::value_type> gather(const G& g, int root = 0) {
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
    Kokkos::deep_copy(packed, g.interior());
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
  Kokkos::deep_copy(g.interior(), *packed);
}

}  // namespace weft
