// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// All-to-all exchanges of variable size, for the distributed sort,
// compaction and by-key algorithms: message layouts checked against MPI's
// int counts on every rank at once, MPI_Alltoallv staged through host
// memory unless MPI can take the views' memory directly, and the move of
// consecutive pieces of a global sequence onto a partition.

#include "../../detail/policy.hpp"
#include "../../error.hpp"
#include "../communicator.hpp"
#include "../partition.hpp"
#include "mpi.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft::detail {

/// One side of an MPI_Alltoallv: per-rank counts and displacements.
struct mpi_layout {
  std::vector<int> counts, displs;
  std::int64_t total = 0;
};

/// Both sides of an exchange as MPI ints. If any rank would send or receive
/// more than INT_MAX elements in one message, or in all together (the
/// displacements are ints too), every rank throws weft::error together.
inline std::pair<mpi_layout, mpi_layout> agree_on_layouts(const communicator& comm,
                                                          const std::vector<std::int64_t>& send,
                                                          const std::vector<std::int64_t>& recv,
                                                          const char* algorithm) {
  std::string problem;
  auto convert = [&](const std::vector<std::int64_t>& counts, const char* verb) {
    mpi_layout layout;
    layout.counts.resize(counts.size());
    layout.displs.resize(counts.size());
    for (std::size_t q = 0; q < counts.size(); ++q) {
      const std::int64_t c = counts[q];
      if (problem.empty() && (c < 0 || c > INT_MAX || layout.total > INT_MAX))
        problem = std::string(algorithm) + ": rank " + std::to_string(comm.rank()) + " would " + verb + " " +
                  std::to_string(c) + " elements at offset " + std::to_string(layout.total) + " (rank " +
                  std::to_string(q) + "), beyond MPI's int counts";
      layout.counts[q] = static_cast<int>(std::clamp<std::int64_t>(c, 0, INT_MAX));
      layout.displs[q] = static_cast<int>(std::min<std::int64_t>(layout.total, INT_MAX));
      layout.total += c;
    }
    return layout;
  };
  auto s = convert(send, "send");
  auto r = convert(recv, "receive");
  agree(comm, problem.empty(), problem, algorithm);
  return {std::move(s), std::move(r)};
}

/// MPI_Alltoall of one 64-bit count per rank: recv[q] = what rank q sends here.
inline std::vector<std::int64_t> exchange_counts(const communicator& comm, const std::vector<std::int64_t>& send,
                                                 const char* algorithm) {
  std::vector<std::int64_t> recv(send.size());
  check_mpi(MPI_Alltoall(send.data(), 1, MPI_INT64_T, recv.data(), 1, MPI_INT64_T, comm.native()), "MPI_Alltoall",
            algorithm);
  return recv;
}

template <class View>
using host_copy_t = Kokkos::View<typename View::non_const_value_type*, Kokkos::HostSpace>;

/// MPI_Alltoallv from contiguous `src` to contiguous `dst` (both in the same
/// memory space, dst sized for the received total). Fences `exec` before
/// MPI reads; goes through host copies unless MPI can use the memory
/// directly (GPU-aware MPI, or host memory).
template <class Exec, class Src, class Dst>
void all_to_all(const Exec& exec, const communicator& comm, const Src& src, const mpi_layout& send, const Dst& dst,
                const mpi_layout& recv, const char* algorithm) {
  using T = typename Src::non_const_value_type;
  mpi_element_type<T> type(algorithm);
  exec.fence();
  if (mpi_can_use_directly<typename Src::memory_space>()) {
    check_mpi(MPI_Alltoallv(src.data(), send.counts.data(), send.displs.data(), type.get(), dst.data(),
                            recv.counts.data(), recv.displs.data(), type.get(), comm.native()),
              "MPI_Alltoallv", algorithm);
  } else {
    host_copy_t<Src> out(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::send")),
                         src.extent(0));
    host_copy_t<Src> in(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::recv")),
                        dst.extent(0));
    Kokkos::deep_copy(out, src);
    check_mpi(MPI_Alltoallv(out.data(), send.counts.data(), send.displs.data(), type.get(), in.data(),
                            recv.counts.data(), recv.displs.data(), type.get(), comm.native()),
              "MPI_Alltoallv", algorithm);
    Kokkos::deep_copy(dst, in);
  }
}

/// Every rank holds a consecutive piece of a global sequence, in rank order
/// (rank r's piece starts after all of ranks < r); moves it so that rank q
/// ends up holding [to.offset(q), + to.local_size(q)) in `dst`. Collective;
/// the pieces' sizes are gathered here. `to` must cover exactly the sum of
/// the pieces (checked by the caller).
template <class Exec, class... Pairs>
void move_onto(const Exec& exec, const communicator& comm, const partition& to, const char* algorithm,
               const Pairs&... src_dst) {
  const int size = comm.size(), me = comm.rank();
  std::int64_t mine = 0;
  ((mine = static_cast<std::int64_t>(src_dst.first.extent(0))), ...);
  const auto pieces = all_gather_value(comm, mine, algorithm);
  const partition from = partition::from_sizes(pieces);
  auto overlap = [](std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1) {
    return std::max<std::int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
  };
  std::vector<std::int64_t> send(static_cast<std::size_t>(size)), recv(static_cast<std::size_t>(size));
  for (int q = 0; q < size; ++q) {
    send[static_cast<std::size_t>(q)] = overlap(from.offset(me), from.offset(me) + from.local_size(me), to.offset(q),
                      to.offset(q) + to.local_size(q));
    recv[static_cast<std::size_t>(q)] = overlap(to.offset(me), to.offset(me) + to.local_size(me), from.offset(q),
                      from.offset(q) + from.local_size(q));
  }
  const auto [send_layout, recv_layout] = agree_on_layouts(comm, send, recv, algorithm);
  (all_to_all(exec, comm, src_dst.first, send_layout, src_dst.second, recv_layout, algorithm), ...);
}

}  // namespace weft::detail
