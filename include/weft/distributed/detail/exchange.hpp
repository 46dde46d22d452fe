// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// All-to-all exchanges of variable size, for the distributed sort,
// compaction and by-key algorithms: the exchange of known counts on the
// copy engine (run_exchange), and the move of consecutive pieces of a
// global sequence onto a partition (move_pieces), whose receivers learn
// their senders from the messages. Both send in pieces of at most
// message_piece_bytes(), so no count is limited by MPI's int, and settle
// each rank's local work and allocations on every rank at once before any
// message (one rank's failure throws on all).

#include "../../detail/policy.hpp"
#include "../../error.hpp"
#include "../../functional.hpp"
#include "../communicator.hpp"
#include "../partition.hpp"
#include "collectives.hpp"
#include "copy_engine.hpp"
#include "copy_plan.hpp"
#include "movement_plans.hpp"
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
    s.out.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::send")), src.extent(0));
    s.in.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::exchange::recv")),
                 static_cast<std::size_t>(received));
  }
  return s;
}

/// An all-to-all exchange of consecutive runs (exchange_plan) of one
/// array, on the copy engine: only the ranks with a count get a message,
/// each in pieces of at most message_piece_bytes() (no limit from MPI's
/// int), from and into the arrays' memory where MPI can use it, else
/// packed through host buffers. Made before the ranks settle the caller's
/// check, so that an allocation that fails on one rank throws on all
/// instead of leaving the others waiting.
template <class View>
class run_exchange {
  using T = typename View::non_const_value_type;
  using M = typename View::memory_space;
  using plan_type = typed_copy_plan<T, M>;

 public:
  run_exchange(std::shared_ptr<const copy_plan> geometry, const char* algorithm)
      : exchanger_(std::make_shared<const plan_type>(std::move(geometry), algorithm), exchange_tag) {}

  /// Moves `src` (the runs to every rank, in rank order) into `dst` (sized
  /// for what arrives); collective over the plan's peers. Fences `exec`
  /// before MPI reads and after the data are in place.
  template <class Exec, class Dst>
  void run(const Exec& exec, const communicator& comm, const View& src, const Dst& dst, const char* algorithm) {
    const typename plan_type::storage_view from(const_cast<T*>(src.data()), src.extent(0)),
        to(dst.data(), dst.extent(0));
    exchanger_.start(exec, from, to, std::nullopt, comm.native(), algorithm);
    exchanger_.finish(exec, to, algorithm);
    exec.fence();
  }

 private:
  copy_exchanger<T, M> exchanger_;
};

/// Tags of move_pieces' messages: a piece's header (its global offset and
/// length), then its elements, one message per array.
inline constexpr int piece_header_tag = 0x7efa;
inline constexpr int piece_data_tag = 0x7efb;

/// Every rank holds a consecutive piece of a global sequence, its pairs'
/// sources: [offset, offset + length) (offset from an exclusive scan of
/// the lengths over the ranks); moves it so that rank q ends up holding
/// [to.offset(q), + to.local_size(q)) in the pairs' destinations. Point to
/// point, with no array over the ranks: each rank sends to the ranks its
/// piece overlaps in `to` (found by bisection) and receives from whichever
/// ranks' pieces overlap its part, in the order they come (MPI_Probe): it
/// knows how many elements it expects, not from whom. A balanced move is
/// a few messages per rank at any rank count. Collective: one small
/// MPI_Allreduce first settles `check` (the caller's local work), this
/// rank's staging buffers and MPI's int counts, so that no rank waits for
/// a message a failed rank will not send. Every element of to's parts must
/// come from some piece (the caller's total is to.global_size()).
template <class Exec, class... Pairs>
void move_pieces(const Exec& exec, const communicator& comm, std::int64_t offset, const partition& to,
                 collective_check& check, const char* algorithm, const Pairs&... src_dst) {
  const int me = comm.rank();
  std::int64_t length = 0;
  ((length = static_cast<std::int64_t>(src_dst.first.extent(0))), ...);
  const std::int64_t end = offset + length, first = to.offset(me), last = first + to.local_size(me);
  // Per pair: its host copies (none where MPI can use its memory) and its
  // MPI type; each(f) calls f(pair, staging, type) for every pair.
  const auto pairs = std::forward_as_tuple(src_dst...);
  std::tuple<std::optional<staging<typename Pairs::first_type>>...> staged;
  std::tuple<std::optional<mpi_element_type<typename Pairs::first_type::non_const_value_type>>...> types;
  auto each = [&](auto&& f) {
    [&]<std::size_t... P>(std::index_sequence<P...>) {
      (f(std::get<P>(pairs), *std::get<P>(staged), *std::get<P>(types)), ...);
    }
    (std::index_sequence_for<Pairs...>{});
  };
  check.attempt([&] {
    [&]<std::size_t... P>(std::index_sequence<P...>) {
      ((std::get<P>(staged).emplace(stage(std::get<P>(pairs).first, to.local_size(me))),
        std::get<P>(types).emplace(algorithm)),
       ...);
    }
    (std::index_sequence_for<Pairs...>{});
  });
  // What this rank sends: [offset, end) cut at to's part boundaries, rank
  // q's part (skipping empty ones) from owner(offset) on.
  struct piece {
    int rank;
    std::int64_t header[2];  // global offset, length
  };
  std::vector<piece> out;
  for (std::int64_t i = offset; i < end;) {
    const int q = to.owner(i);
    const std::int64_t stop = std::min(end, to.offset(q) + to.local_size(q));
    out.push_back({q, {i, stop - i}});
    i = stop;
  }
  check.settle(comm);

  exec.fence();
  each([&](const auto& pair, const auto& s, const auto&) {
    if (s.out) Kokkos::deep_copy(*s.out, pair.first);
  });
  std::vector<MPI_Request> requests;
  requests.reserve(out.size() * (1 + sizeof...(Pairs)));
  for (const piece& p : out) {
    const std::int64_t at = p.header[0] - offset;
    if (p.rank == me) {  // this rank's own part: a copy, where the messages go
      const std::pair<std::int64_t, std::int64_t> from(at, at + p.header[1]),
          into(p.header[0] - first, p.header[0] - first + p.header[1]);
      each([&](const auto& pair, const auto& s, const auto&) {
        if (s.out)
          Kokkos::deep_copy(Kokkos::subview(*s.in, into), Kokkos::subview(*s.out, from));
        else
          Kokkos::deep_copy(exec, Kokkos::subview(pair.second, into), Kokkos::subview(pair.first, from));
      });
      continue;
    }
    requests.emplace_back();
    check_mpi(MPI_Isend(p.header, 2, MPI_INT64_T, p.rank, piece_header_tag, comm.native(), &requests.back()),
              "MPI_Isend", algorithm);
    each([&](const auto& pair, const auto& s, const auto& type) {
      auto* data = s.out ? s.out->data() : pair.first.data();
      post_in_pieces(true, data + at, p.header[1], p.rank, type.get(), piece_data_tag, comm.native(), requests,
                     algorithm);
    });
  }
  // What this rank receives: its part less what it holds itself, from
  // whichever ranks send it, one header and then one message per pair
  // each (in order: MPI does not reorder messages from one rank on a tag).
  std::int64_t expected = last - first - std::max<std::int64_t>(0, std::min(end, last) - std::max(offset, first));
  while (expected > 0) {
    MPI_Status status;
    check_mpi(MPI_Probe(MPI_ANY_SOURCE, piece_header_tag, comm.native(), &status), "MPI_Probe", algorithm);
    std::int64_t header[2];
    check_mpi(MPI_Recv(header, 2, MPI_INT64_T, status.MPI_SOURCE, piece_header_tag, comm.native(), MPI_STATUS_IGNORE),
              "MPI_Recv", algorithm);
    const std::int64_t at = header[0] - first;
    std::vector<MPI_Request> pieces;
    each([&](const auto& pair, const auto& s, const auto& type) {
      auto* data = s.in ? s.in->data() : pair.second.data();
      post_in_pieces(false, data + at, header[1], status.MPI_SOURCE, type.get(), piece_data_tag, comm.native(), pieces,
                     algorithm);
    });
    check_mpi(MPI_Waitall(static_cast<int>(pieces.size()), pieces.data(), MPI_STATUSES_IGNORE), "MPI_Waitall",
              algorithm);
    expected -= header[1];
  }
  check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall",
            algorithm);
  exec.fence();
  each([&](const auto& pair, const auto& s, const auto&) {
    if (s.in) Kokkos::deep_copy(pair.second, *s.in);
  });
}

/// As move_pieces, each rank's piece being its pairs' sources, in rank
/// order; the pieces' offsets come from an ordered exclusive scan here,
/// which also settles `prior`: if the caller's local work failed on any
/// rank, every rank throws first.
template <class Exec, class... Pairs>
void move_onto(const Exec& exec, const communicator& comm, const partition& to, const char* algorithm,
               const collective_check& prior, const Pairs&... src_dst) {
  std::int64_t mine = 0;
  ((mine = static_cast<std::int64_t>(src_dst.first.extent(0))), ...);
  const auto offsets =
      ordered_exclusive_scan(comm, prior, optional_value<std::int64_t>{mine, true}, plus<>{}, algorithm);
  collective_check check(algorithm);
  move_pieces(exec, comm, offsets.before.valid ? offsets.before.value : 0, to, check, algorithm, src_dst...);
}

}  // namespace weft::detail
