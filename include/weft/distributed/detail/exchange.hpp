// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// All-to-all exchanges of variable size, for the distributed sort,
// compaction and by-key algorithms: message layouts checked against MPI's
// int counts on every rank at once (with the outcome of each rank's local
// work and allocations: one rank's failure throws on all before any
// message), MPI_Alltoallv staged through host memory unless MPI can take
// the views' memory directly, and the move of consecutive pieces of a
// global sequence onto a partition.

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
#include <optional>
#include <string>
#include <tuple>
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
/// displacements are ints too), or if `check` failed on any rank (its
/// local work before the exchange: the user's function, an allocation),
/// every rank throws weft::error together: one small MPI_Allreduce.
inline std::pair<mpi_layout, mpi_layout> agree_on_layouts(const communicator& comm, collective_check& check,
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
  check.require(problem.empty(), problem);
  check.settle(comm);
  return {std::move(s), std::move(r)};
}

inline std::pair<mpi_layout, mpi_layout> agree_on_layouts(const communicator& comm,
                                                          const std::vector<std::int64_t>& send,
                                                          const std::vector<std::int64_t>& recv,
                                                          const char* algorithm) {
  collective_check check(algorithm);
  return agree_on_layouts(comm, check, send, recv, algorithm);
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

/// The host copies an all_to_all goes through where MPI cannot use the
/// views' memory; none where it can. Allocated before the ranks settle on
/// the exchange (agree_on_layouts), so that an allocation that fails on one
/// rank throws on all instead of leaving the others in MPI_Alltoallv.
template <class Src>
struct staging {
  std::optional<host_copy_t<Src>> out, in;  // never a default-constructed View (see sort.hpp)
};

template <class Src>
staging<Src> stage(const Src& src, std::int64_t received) {
  staging<Src> s;
  if (!mpi_can_use_directly<typename Src::memory_space>()) {
    s.out.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::send")),
                  src.extent(0));
    s.in.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::recv")),
                 static_cast<std::size_t>(received));
  }
  return s;
}

/// MPI_Alltoallv from contiguous `src` to contiguous `dst` (both in the same
/// memory space, dst sized for the received total), through `staged`'s
/// host copies if it has them. Fences `exec` before MPI reads.
template <class Exec, class Src, class Dst>
void all_to_all(const Exec& exec, const communicator& comm, const Src& src, const mpi_layout& send, const Dst& dst,
                const mpi_layout& recv, const staging<Src>& staged, const char* algorithm) {
  using T = typename Src::non_const_value_type;
  mpi_element_type<T> type(algorithm);
  exec.fence();
  if (!staged.out) {
    check_mpi(MPI_Alltoallv(src.data(), send.counts.data(), send.displs.data(), type.get(), dst.data(),
                            recv.counts.data(), recv.displs.data(), type.get(), comm.native()),
              "MPI_Alltoallv", algorithm);
  } else {
    Kokkos::deep_copy(*staged.out, src);
    check_mpi(MPI_Alltoallv(staged.out->data(), send.counts.data(), send.displs.data(), type.get(), staged.in->data(),
                            recv.counts.data(), recv.displs.data(), type.get(), comm.native()),
              "MPI_Alltoallv", algorithm);
    Kokkos::deep_copy(dst, *staged.in);
  }
}

/// Every rank holds a consecutive piece of a global sequence, in rank order
/// (rank r's piece, pieces[r] elements, starts after all of ranks < r);
/// moves it so that rank q ends up holding [to.offset(q), +
/// to.local_size(q)) in `dst`. Collective: one small MPI_Allreduce settles
/// the message layouts and the staging buffers' allocation, then one
/// MPI_Alltoallv per pair. `to` must cover exactly the sum of the pieces
/// (checked by the caller), and `pieces` be the same on every rank.
template <class Exec, class... Pairs>
void move_pieces(const Exec& exec, const communicator& comm, const std::vector<std::int64_t>& pieces,
                 const partition& to, const char* algorithm, const Pairs&... src_dst) {
  const int size = comm.size(), me = comm.rank();
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
  collective_check check(algorithm);
  std::tuple<std::optional<staging<typename Pairs::first_type>>...> staged;
  check.attempt([&] {
    std::apply([&](auto&... s) { ((s.emplace(stage(src_dst.first, to.local_size(me)))), ...); }, staged);
  });
  const auto [send_layout, recv_layout] = agree_on_layouts(comm, check, send, recv, algorithm);
  std::apply(
      [&](const auto&... s) {
        (all_to_all(exec, comm, src_dst.first, send_layout, src_dst.second, recv_layout, *s, algorithm), ...);
      },
      staged);
}

/// As move_pieces, each rank's piece being its pairs' sources; the pieces'
/// sizes are gathered here (one MPI_Allgather), which also settles `prior`:
/// if the caller's local work failed on any rank, every rank throws first.
template <class Exec, class... Pairs>
void move_onto(const Exec& exec, const communicator& comm, const partition& to, const char* algorithm,
               const collective_check& prior, const Pairs&... src_dst) {
  std::int64_t mine = 0;
  ((mine = static_cast<std::int64_t>(src_dst.first.extent(0))), ...);
  const auto pieces = all_gather_checked(comm, prior, mine, algorithm);
  move_pieces(exec, comm, pieces, to, algorithm, src_dst...);
}

}  // namespace weft::detail
