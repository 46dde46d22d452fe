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
#include <cstdint>
#include <optional>
#include <string>
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

/// The same global contents under another partition (e.g. weights from
/// measured speeds): each rank sends the parts of its block that others now
/// own straight to them (only to the ranks whose new blocks overlap its old
/// one; blocks of any size). Keeps x's ghost width. The new partition must
/// be the same on every rank and have x's global size; otherwise every
/// rank throws weft::error.
///   auto balanced = weft::redistribute(x, weft::partition::weighted(n, speeds));
template <distributed X>
std::remove_cvref_t<X> redistribute(const X& x, const partition& to) {
  using V = std::remove_cvref_t<X>;
  using T = typename V::value_type;
  const char* algorithm = "weft::redistribute";
  const partition& from = x.partition();
  V y(x.comm(), to, ghosts{x.ghost_width()});  // agrees on `to`, exactly, on every rank
  // Both partitions are now the same on every rank, and so is this check.
  detail::require(to.global_size() == from.global_size(), algorithm, ": the new partition has ", to.global_size(),
                  " elements, the vector ", from.global_size());
  const int me = x.comm().rank();
  const std::int64_t old_begin = from.offset(me), new_begin = to.offset(me);
  const bool direct = detail::mpi_can_use_directly<typename V::memory_space>();
  detail::collective_check check(algorithm);
  std::vector<T> old_host, new_host;  // host copies, where MPI cannot use the memory
  check.attempt([&] {
    if (direct) return;
    old_host = detail::local_to_host(x);
    new_host.resize(static_cast<std::size_t>(y.local_size()));
  });
  check.settle(x.comm());
  T* old_data = direct ? x.local().data() : old_host.data();
  T* new_data = direct ? y.local().data() : new_host.data();
  if (direct) typename V::execution_space().fence();
  detail::mpi_element_type<T> type(algorithm);
  std::vector<MPI_Request> requests;
  detail::for_each_overlap(from, new_begin, new_begin + y.local_size(), [&](int q, std::int64_t lo, std::int64_t hi) {
    if (q != me)
      detail::post_in_pieces(false, new_data + (lo - new_begin), hi - lo, q, type.get(), x.comm().native(), requests,
                             algorithm);
  });
  detail::for_each_overlap(to, old_begin, old_begin + x.local_size(), [&](int q, std::int64_t lo, std::int64_t hi) {
    if (q != me)
      detail::post_in_pieces(true, old_data + (lo - old_begin), hi - lo, q, type.get(), x.comm().native(), requests,
                             algorithm);
    else if (direct)  // what stays on this rank: a copy on the device
      Kokkos::deep_copy(Kokkos::subview(y.local(), std::pair(lo - new_begin, hi - new_begin)),
                        Kokkos::subview(x.local(), std::pair(lo - old_begin, hi - old_begin)));
    else
      std::copy(old_data + (lo - old_begin), old_data + (hi - old_begin), new_data + (lo - new_begin));
  });
  if (!requests.empty())
    detail::check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
                      "MPI_Waitall", algorithm);
  if (!direct) detail::host_to_local(new_host, y);
  return y;
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
