#pragma once
// Moving distributed data: gather, all_gather, scatter, redistribute, and
// gather / scatter of whole grids.
// All collective and blocking; each fences the vector's execution space
// before MPI reads its memory. Device memory goes through host copies
// unless MPI can use it directly (GPU-aware MPI).

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
#include <string>
#include <vector>

namespace weft {

namespace detail {
/// The owned elements of x in host memory.
template <class X>
std::vector<typename X::value_type> local_to_host(const X& x) {
  std::vector<typename X::value_type> host(x.local_size());
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

inline void check_root(const communicator& comm, int root, const char* algorithm) {
  require(root >= 0 && root < comm.size(), algorithm, ": root ", root, " is not a rank of a communicator of ",
          comm.size(), " ranks");
}

inline std::vector<int> counts_of(const partition& p, const char* algorithm) {
  std::vector<int> counts(p.ranks());
  for (int r = 0; r < p.ranks(); ++r) counts[r] = mpi_count(p.local_size(r), algorithm);
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
  detail::check_root(x.comm(), root, algorithm);
  const auto counts = detail::counts_of(x.partition(), algorithm);
  const auto displs = detail::displacements_of(counts, algorithm);
  const auto mine = detail::local_to_host(x);
  std::vector<T> all(x.comm().rank() == root ? x.global_size() : 0);
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Gatherv(mine.data(), counts[x.comm().rank()], type.get(), all.data(), counts.data(),
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
  const auto mine = detail::local_to_host(x);
  std::vector<T> all(x.global_size());
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Allgatherv(mine.data(), counts[x.comm().rank()], type.get(), all.data(), counts.data(),
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
  detail::check_root(comm, root, algorithm);
  const bool ok = comm.rank() != root || static_cast<std::int64_t>(data.size()) == p.global_size();
  detail::agree(comm, ok,
                std::string(algorithm) + ": root holds " + std::to_string(data.size()) +
                    " elements but the partition has " + std::to_string(p.global_size()),
                algorithm);
  distributed_vector<T, MemorySpace> x(comm, p);
  const auto counts = detail::counts_of(p, algorithm);
  const auto displs = detail::displacements_of(counts, algorithm);
  std::vector<T> mine(x.local_size());
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Scatterv(data.data(), counts.data(), displs.data(), type.get(), mine.data(),
                                 counts[comm.rank()], type.get(), root, comm.native()),
                    "MPI_Scatterv", algorithm);
  detail::host_to_local(mine, x);
  return x;
}

/// The same global contents under another partition (e.g. weights from
/// measured speeds): each rank sends the parts of its block that others now
/// own, in one MPI_Alltoallv. Keeps x's ghost width. Throws if the global
/// sizes differ.
///   auto balanced = weft::redistribute(x, weft::partition::weighted(n, speeds));
template <distributed X>
std::remove_cvref_t<X> redistribute(const X& x, const partition& to) {
  using T = typename X::value_type;
  const char* algorithm = "weft::redistribute";
  const partition& from = x.partition();
  detail::require(to.global_size() == from.global_size(), algorithm, ": the new partition has ", to.global_size(),
                  " elements, the vector ", from.global_size());
  detail::require(to.ranks() == x.comm().size(), algorithm, ": the new partition has ", to.ranks(),
                  " blocks but the communicator has ", x.comm().size(), " ranks");
  std::remove_cvref_t<X> y(x.comm(), to, ghosts{x.ghost_width()});
  const int me = x.comm().rank(), size = x.comm().size();
  // Overlap of [a_begin, a_end) with [b_begin, b_end), as a count.
  auto overlap = [](std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1) {
    return std::max<std::int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
  };
  std::vector<int> send_counts(size), send_displs(size), recv_counts(size), recv_displs(size);
  for (int q = 0; q < size; ++q) {
    const std::int64_t mine0 = from.offset(me), mine1 = mine0 + from.local_size(me);
    const std::int64_t theirs0 = to.offset(q), theirs1 = theirs0 + to.local_size(q);
    send_counts[q] = detail::mpi_count(overlap(mine0, mine1, theirs0, theirs1), algorithm);
    send_displs[q] = detail::mpi_count(std::max(mine0, theirs0) - mine0, algorithm);
    const std::int64_t new0 = to.offset(me), new1 = new0 + to.local_size(me);
    const std::int64_t old0 = from.offset(q), old1 = old0 + from.local_size(q);
    recv_counts[q] = detail::mpi_count(overlap(new0, new1, old0, old1), algorithm);
    recv_displs[q] = detail::mpi_count(std::max(new0, old0) - new0, algorithm);
  }
  detail::mpi_element_type<T> type(algorithm);
  using memory_space = typename std::remove_cvref_t<X>::memory_space;
  if (detail::mpi_can_use_directly<memory_space>()) {
    typename std::remove_cvref_t<X>::execution_space().fence();
    detail::check_mpi(MPI_Alltoallv(x.local().data(), send_counts.data(), send_displs.data(), type.get(),
                                    y.local().data(), recv_counts.data(), recv_displs.data(), type.get(),
                                    x.comm().native()),
                      "MPI_Alltoallv", algorithm);
  } else {
    const auto mine = detail::local_to_host(x);
    std::vector<T> received(y.local_size());
    detail::check_mpi(MPI_Alltoallv(mine.data(), send_counts.data(), send_displs.data(), type.get(),
                                    received.data(), recv_counts.data(), recv_displs.data(), type.get(),
                                    x.comm().native()),
                      "MPI_Alltoallv", algorithm);
    detail::host_to_local(received, y);
  }
  return y;
}

namespace detail {
/// Where every rank's block of a grid sits: its extents and offsets (from
/// the replicated splits, no communication) and its place in the rank-ordered
/// concatenation of packed blocks that MPI_Gatherv / MPI_Scatterv move.
template <int R>
struct grid_blocks {
  std::vector<std::array<std::int64_t, R>> extent, offset;
  std::vector<int> counts, displs;
  std::int64_t total = 0;
};

template <class G>
grid_blocks<G::rank> blocks_of(const G& g, const char* algorithm) {
  constexpr int R = G::rank;
  const int size = g.comm().size();
  grid_blocks<R> b;
  b.extent.resize(size);
  b.offset.resize(size);
  b.counts.resize(size);
  b.displs.resize(size);
  for (int r = 0; r < size; ++r) {
    std::int64_t points = 1;
    for (int d = R - 1, rest = r; d >= 0; --d) {  // Cartesian ranks are row-major
      const int c = rest % g.dims()[d];
      rest /= g.dims()[d];
      b.extent[r][d] = g.split(d).local_size(c);
      b.offset[r][d] = g.split(d).offset(c);
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
  if constexpr (G::rank == 2) return typename G::storage_type(name, g.local_extent(0), g.local_extent(1));
  else return typename G::storage_type(name, g.local_extent(0), g.local_extent(1), g.local_extent(2));
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
  detail::check_root(comm, root, algorithm);
  // This rank's block, packed row-major, then in host memory.
  std::vector<T> mine(detail::block_points(g));
  {
    auto packed = detail::packed_block(g, "weft::gather");
    Kokkos::deep_copy(packed, g.interior());
    Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(mine.data(), mine.size());
    Kokkos::View<T*, typename G::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>> flat(packed.data(),
                                                                                              mine.size());
    Kokkos::deep_copy(host, flat);
  }
  const auto b = detail::blocks_of(g, algorithm);
  std::vector<T> blocks(comm.rank() == root ? b.total : 0);
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Gatherv(mine.data(), b.counts[comm.rank()], type.get(), blocks.data(), b.counts.data(),
                                b.displs.data(), type.get(), root, comm.native()),
                    "MPI_Gatherv", algorithm);
  if (comm.rank() != root) return {};
  std::vector<T> field(b.total);
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
  detail::check_root(comm, root, algorithm);
  const auto b = detail::blocks_of(g, algorithm);
  const bool ok = comm.rank() != root || static_cast<std::int64_t>(field.size()) == b.total;
  detail::agree(comm, ok,
                std::string(algorithm) + ": root holds " + std::to_string(field.size()) +
                    " values but the grid has " + std::to_string(b.total) + " points",
                algorithm);
  std::vector<T> blocks(comm.rank() == root ? b.total : 0);
  if (comm.rank() == root) {
    detail::for_each_block_row(g, b, [&](std::int64_t to, std::int64_t from, std::int64_t length) {
      std::copy_n(field.begin() + from, length, blocks.begin() + to);
    });
  }
  std::vector<T> mine(detail::block_points(g));
  detail::mpi_element_type<T> type(algorithm);
  detail::check_mpi(MPI_Scatterv(blocks.data(), b.counts.data(), b.displs.data(), type.get(), mine.data(),
                                 b.counts[comm.rank()], type.get(), root, comm.native()),
                    "MPI_Scatterv", algorithm);
  auto packed = detail::packed_block(g, "weft::scatter");
  Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(mine.data(), mine.size());
  Kokkos::View<T*, typename G::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>> flat(packed.data(),
                                                                                            mine.size());
  Kokkos::deep_copy(flat, host);
  Kokkos::deep_copy(g.interior(), packed);
}

}  // namespace weft
