// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The halo exchange engine shared by distributed vectors and grids.
//
// A halo_plan is built once per (layout, boundary kind) from lists of
// "send storage element e to rank p" and "the k-th element from rank p lands
// in storage element s"; both sides list them in the same order, so messages
// need no headers. Exchanging is then: pack (one kernel), one Isend/Irecv per
// peer, wait, unpack (one kernel). A message whose elements are one
// contiguous run of storage (a 1-D vector's ghosts and edge blocks) skips
// the buffers when MPI can use the memory: it is sent from, or received
// into, the storage itself. Ghosts a rank supplies to itself (a
// periodic dimension it spans alone, a clamped edge) and boundary constants
// never go through MPI: one copy kernel writes them when the exchange
// starts, so work that reads only those ghosts can run before wait().
// Buffers live as long as the plan: nothing is allocated per exchange.
// Device memory goes to MPI directly when the MPI is GPU-aware, else through
// host mirrors of the buffers.

#include "../../detail/policy.hpp"
#include "../communicator.hpp"
#include "mpi.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::detail {

/// One side's message lists, keyed by peer rank (this rank included), in
/// message order, and where the ghosts from other ranks lie.
struct halo_lists {
  std::map<int, std::vector<std::int64_t>> send;  // storage elements to send to each peer
  std::map<int, std::vector<std::int64_t>> recv;  // storage elements each peer's values land in
  std::vector<std::int64_t> constant;             // storage elements set to the boundary constant
  /// Where a peer's list splits into separate messages (positions in the
  /// list, ascending), the same on both sides of each pair: a 1-D vector
  /// sends a neighbour's left and right ghosts apart, so each part can be
  /// one contiguous run on both sides even when one rank supplies both.
  std::map<int, std::vector<std::int64_t>> send_breaks, recv_breaks;
  /// A grid's storage extents (row-major), so that a message that is a box
  /// of the storage can go in place as an MPI subarray; empty for vectors.
  std::vector<std::int64_t> storage_extents;
  /// Per dimension, {low face, high face}: whether any ghost of that face
  /// comes from another rank. Work near a face without any can run before
  /// the exchange completes.
  std::vector<std::array<bool, 2>> remote_faces;
};

/// The ranks other than `self` that the lists send to or receive from, ascending.
inline std::vector<int> peers_of(const halo_lists& lists, int self) {
  std::vector<int> out;
  for (const auto* by_peer : {&lists.send, &lists.recv})
    for (const auto& [peer, elements] : *by_peer)
      if (peer != self && !elements.empty()) out.push_back(peer);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <class Buffer, class Storage, class Index>
struct pack_functor {
  Buffer buffer;
  Storage storage;
  Index index;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { buffer(k) = storage(index(k)); }
};

template <class Buffer, class Storage, class Index>
struct unpack_functor {
  Buffer buffer;
  Storage storage;
  Index index;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { storage(index(k)) = buffer(k); }
};

template <class Storage, class Index>
struct local_copy_functor {
  Storage storage;
  Index from, to;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { storage(to(k)) = storage(from(k)); }
};

template <class Storage, class Index, class T>
struct set_functor {
  Storage storage;
  Index index;
  T value;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { storage(index(k)) = value; }
};

/// The argument check of one halo exchange, carried to the neighbours
/// instead of settled by an allreduce (argument_checks::agreed, once an
/// object's first exchange has been settled by one): each rank sends its
/// check's words (collective_check::words) to every peer it exchanges halo
/// messages with and receives theirs. A pair of neighbours exchanges data
/// only if their words are equal and neither failed, a decision both make
/// from the same two messages, so no rank waits for data its neighbour
/// will not send, and no data moves between ranks that disagree. What this
/// rank learns (least()) covers itself and its neighbours only; the caller
/// throws here, and leaves the failure pending for the next collective
/// (pending_failure), where every rank throws.
class neighbour_agreement {
 public:
  static constexpr int tag = 0x7efc;  // beside halo data's 0x7ef7

  /// Posts this rank's words to every peer (none is this rank), and the
  /// receives of theirs. Receives are posted at once, in call order, so the
  /// words of two exchanges in flight on one communicator (two vectors, or
  /// a misuse) match their calls as the data does. A neighbour's list may
  /// be longer than this rank's (other arguments recorded): room for twice
  /// as many words and 64 more; a longer one fails to arrive whole, which
  /// is a disagreement too.
  neighbour_agreement(std::vector<std::uint64_t> words, const std::vector<int>& peers, MPI_Comm comm,
                      const char* algorithm)
      : words_(std::move(words)), least_(words_), comm_(comm), algorithm_(algorithm) {
    const std::size_t room = 2 * words_.size() + 64;
    for (const int peer : peers) peers_.push_back({peer, false, false, std::vector<std::uint64_t>(room)});
    sends_.resize(peers_.size(), MPI_REQUEST_NULL);
    recvs_.resize(peers_.size(), MPI_REQUEST_NULL);
    for (std::size_t k = 0; k < peers_.size(); ++k) {
      check_mpi(MPI_Irecv(peers_[k].theirs.data(), static_cast<int>(room), MPI_UINT64_T, peers_[k].rank, tag, comm_,
                          &recvs_[k]),
                "MPI_Irecv", algorithm_);
      check_mpi(MPI_Isend(words_.data(), static_cast<int>(words_.size()), MPI_UINT64_T, peers_[k].rank, tag, comm_,
                          &sends_[k]),
                "MPI_Isend", algorithm_);
    }
  }
  neighbour_agreement(const neighbour_agreement&) = delete;
  neighbour_agreement& operator=(const neighbour_agreement&) = delete;
  ~neighbour_agreement() { complete(); }

  /// Takes in the words that have arrived (waits for all if `block`). True
  /// once every peer's have.
  bool poll(bool block) {
    bool all = true;
    for (std::size_t k = 0; k < peers_.size(); ++k) {
      auto& p = peers_[k];
      if (p.heard) continue;
      MPI_Status status;
      int arrived = 1, code = MPI_SUCCESS;
      if (block)
        code = MPI_Wait(&recvs_[k], &status);
      else
        code = MPI_Test(&recvs_[k], &arrived, &status);
      if (!arrived) {
        all = false;
        continue;
      }
      int count = 0;
      if (code == MPI_SUCCESS)
        MPI_Get_count(&status, MPI_UINT64_T, &count);
      else if (!truncated(code))
        check_mpi(code, "MPI_Wait", algorithm_);
      p.theirs.resize(code == MPI_SUCCESS ? static_cast<std::size_t>(count) : 0);  // truncated: none taken
      p.heard = true;
      p.agreed = code == MPI_SUCCESS && p.theirs == words_ && words_[0] == UINT64_MAX;
      agreed_ = agreed_ && p.agreed;
      every_peer_failed_ = every_peer_failed_ && !p.theirs.empty() && p.theirs[0] != UINT64_MAX;
      // The element-wise minimum over the words both hold; a shorter list
      // (other arguments recorded) shortens it.
      const std::size_t common = std::min(p.theirs.size(), least_.size());
      for (std::size_t i = 0; i < common; ++i) least_[i] = std::min(least_[i], p.theirs[i]);
      if (!p.theirs.empty() && p.theirs.size() < least_.size()) least_.resize(p.theirs.size());
    }
    return all;
  }

  /// For a peer whose words have arrived, whether data goes both ways
  /// between it and this rank; nothing before.
  std::optional<bool> decision(int peer) const {
    for (const auto& p : peers_)
      if (p.rank == peer) return p.heard ? std::optional<bool>(p.agreed) : std::nullopt;
    return std::nullopt;
  }

  /// Waits for every peer's words and for this rank's to be sent.
  void complete() {
    if (complete_) return;
    complete_ = true;
    poll(true);
    MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
  }

 private:
  static bool truncated(int code) {
    int error_class = MPI_SUCCESS;
    MPI_Error_class(code, &error_class);
    return error_class == MPI_ERR_TRUNCATE;
  }

 public:
  /// Whether this rank and every neighbour passed the same and none failed.
  bool agreed() const { return agreed_ && words_[0] == UINT64_MAX; }
  /// Whether every neighbour reported a failure of its own (after complete()).
  bool every_peer_failed() const { return every_peer_failed_; }
  /// The words of this rank and its neighbours combined (see the class).
  const std::vector<std::uint64_t>& least() const { return least_; }

 private:
  struct peer_state {
    int rank;
    bool heard, agreed;
    std::vector<std::uint64_t> theirs;  // room for the words, then the words
  };
  std::vector<std::uint64_t> words_, least_;
  std::vector<peer_state> peers_;
  std::vector<MPI_Request> sends_, recvs_;
  MPI_Comm comm_;
  const char* algorithm_;
  bool agreed_ = true, complete_ = false, every_peer_failed_ = true;
};

/// A halo exchange's (or stencil's) check carried to the neighbours: the
/// agreement, and what becomes of it. conclude() throws weft::error on this
/// rank if it or a neighbour failed or they passed different arguments,
/// and leaves the failure pending, so every rank throws at its next
/// collective (pending_failure).
class neighbour_check {
 public:
  neighbour_check(const collective_check& check, const communicator& comm, const std::vector<int>& peers,
                  const char* algorithm)
      : check_(check),
        agreement_(check.words(comm, false), peers, comm.native(), algorithm),
        rank_(comm.rank()),
        algorithm_(algorithm) {}

  neighbour_agreement& agreement() { return agreement_; }

  void conclude() {
    agreement_.complete();
    if (agreement_.agreed()) return;
    std::string message = check_.verdict(agreement_.least());
    if (message.empty()) message = check_.problem();
    if (message.empty()) message = std::string(algorithm_) + ": a neighbouring rank passed other arguments";
    // Unless this rank and all its neighbours failed alike (every rank made
    // the same mistake, or there is one rank), some rank may not know yet:
    // the next collective tells every rank.
    if (!(check_.failed_here() && agreement_.every_peer_failed())) {
      pending_failure::record(message);
      throw error(message + " [found on rank " + std::to_string(rank_) +
                  " and its neighbours; every rank throws at its next collective]");
    }
    throw error(message);
  }

 private:
  collective_check check_;
  neighbour_agreement agreement_;
  int rank_;
  const char* algorithm_;
};

/// The neighbour check of a call on objects whose halo peers are known
/// (argument_checks::agreed, after a settled exchange), or nothing: the
/// call then settles its check across all ranks, as the first one does.
template <class Plans>
std::shared_ptr<neighbour_check> neighbour_check_for(const communicator& comm, const Plans& plans,
                                                     const collective_check& check, const char* algorithm) {
  if (comm.checks() != argument_checks::agreed || !plans.peers) return nullptr;
  return std::make_shared<neighbour_check>(check, comm, *plans.peers, algorithm);
}

template <class T, class MemorySpace>
class halo_plan;

/// The boundary kinds a halo can be filled with: each needs its own plan.
enum class boundary_kind { periodic, constant, clamp };

/// The plans of one vector or grid, built on first use and shared by its
/// copies, and whether an exchange of it is in flight (of any kind: two
/// at once would mix their messages).
template <class T, class MemorySpace>
struct halo_plans {
  std::optional<halo_plan<T, MemorySpace>> plans[3];
  bool in_flight = false;
  /// The ranks this object exchanges halo messages with under any boundary
  /// kind, known once an exchange has been settled across all ranks: later
  /// calls agree with these neighbours only (neighbour_agreement), so both
  /// sides of every pair that any kind connects hear each other even when
  /// the ranks pass different kinds.
  std::optional<std::vector<int>> peers;
};

/// Records in `check` what every rank must pass alike to a halo exchange:
/// the boundary kind and, for weft::constant, its value as T, bitwise
/// (see record_same_value: every part of a complex number or an array).
template <class T, class Boundary>
void record_boundary(collective_check& check, boundary_kind kind, const Boundary& bc) {
  check.same("the boundary kind (0 periodic, 1 constant, 2 clamp)", static_cast<std::int64_t>(kind));
  if constexpr (requires { bc.value; }) record_same_value(check, "the boundary value", static_cast<T>(bc.value));
}

/// Collective, once the check above is settled (the ranks then agree on
/// the boundary kind): a weft::constant value of a type with padding bytes,
/// which record_boundary cannot compare bitwise, must equal rank 0's by
/// operator==. Nothing for other types, or with trusted argument checks.
template <class T, class Boundary>
void agree_on_boundary_value(const communicator& comm, const Boundary& bc, const char* algorithm) {
  if constexpr (requires { bc.value; }) {
    if (comm.checks() == argument_checks::agreed)
      agree_by_equality(comm, "the boundary value", static_cast<T>(bc.value), algorithm);
  }
}

template <class T, class MemorySpace>
class halo_plan {
 public:
  using storage_view = Kokkos::View<T*, MemorySpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using index_view = Kokkos::View<std::int64_t*, MemorySpace>;
  using buffer_view = Kokkos::View<T*, MemorySpace>;
  using host_buffer_view = typename buffer_view::HostMirror;

  /// `self` is this rank: its entries in the lists become local copies.
  halo_plan(const halo_lists& lists, int self, const char* algorithm)
      : direct_(mpi_can_use_directly<MemorySpace>()), remote_faces_(lists.remote_faces) {
    auto without_self = [self](std::map<int, std::vector<std::int64_t>> by_peer) {
      by_peer.erase(self);
      return by_peer;
    };
    auto own = [self](const std::map<int, std::vector<std::int64_t>>& by_peer) {
      const auto it = by_peer.find(self);
      return it == by_peer.end() ? std::vector<std::int64_t>{} : it->second;
    };
    send_index_ = plan_messages(without_self(lists.send), lists.send_breaks, lists.storage_extents, sends_,
                                "weft::halo send index", algorithm);
    recv_index_ = plan_messages(without_self(lists.recv), lists.recv_breaks, lists.storage_extents, recvs_,
                                "weft::halo recv index", algorithm);
    const auto local_from = own(lists.send), local_to = own(lists.recv);
    require(local_from.size() == local_to.size(), algorithm, ": inconsistent halo lists (", local_from.size(),
            " local sources for ", local_to.size(), " local ghosts)");
    local_from_ = to_device(local_from, "weft::halo local sources");
    local_to_ = to_device(local_to, "weft::halo local ghosts");
    constant_index_ = to_device(lists.constant, "weft::halo constant index");
    send_buffer_ = buffer_view(Kokkos::view_alloc("weft::halo send buffer", Kokkos::WithoutInitializing),
                               send_index_.extent(0));
    recv_buffer_ = buffer_view(Kokkos::view_alloc("weft::halo recv buffer", Kokkos::WithoutInitializing),
                               recv_index_.extent(0));
    if (!direct_) {
      send_host_ = Kokkos::create_mirror(send_buffer_);
      recv_host_ = Kokkos::create_mirror(recv_buffer_);
    }
    for (const auto& m : sends_) mpi_count(m.count, algorithm);
    for (const auto& m : recvs_) mpi_count(m.count, algorithm);
  }
  ~halo_plan() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    for (auto* messages : {&sends_, &recvs_})
      for (auto& m : *messages)
        if (m.box != MPI_DATATYPE_NULL) MPI_Type_free(&m.box);
  }
  halo_plan(const halo_plan&) = delete;
  halo_plan& operator=(const halo_plan&) = delete;

  /// Packs and posts the messages to other ranks, and enqueues on `exec` the
  /// ghosts this rank supplies itself and the boundary constants. `exec`
  /// must be the instance that wrote `storage`; it is fenced before MPI
  /// touches the buffers. With an `agreement` (which must outlive the
  /// exchange), the receives are posted at once and the sends to a peer as
  /// soon as its words agree (test(), finish()); the receives from a peer
  /// that disagrees are cancelled.
  template <class Exec>
  void start(const Exec& exec, const storage_view& storage, const std::optional<T>& constant, MPI_Comm comm,
             const char* algorithm, neighbour_agreement* agreement = nullptr) {
    if (send_index_.extent(0) > 0) {
      Kokkos::parallel_for("weft::halo_pack", range(exec, static_cast<std::int64_t>(send_index_.extent(0))),
                           pack_functor<buffer_view, storage_view, index_view>{send_buffer_, storage, send_index_});
    }
    if (local_to_.extent(0) > 0) {
      Kokkos::parallel_for("weft::halo_local", range(exec, static_cast<std::int64_t>(local_to_.extent(0))),
                           local_copy_functor<storage_view, index_view>{storage, local_from_, local_to_});
    }
    if (constant && constant_index_.extent(0) > 0) {
      Kokkos::parallel_for("weft::halo_constant", range(exec, static_cast<std::int64_t>(constant_index_.extent(0))),
                           set_functor<storage_view, index_view, T>{storage, constant_index_, *constant});
    }
    recv_requests_.assign(recvs_.size(), MPI_REQUEST_NULL);
    send_requests_.assign(sends_.size(), MPI_REQUEST_NULL);
    agreement_ = agreement;
    decided_.clear();
    if (sends_.empty() && recvs_.empty()) return;  // nothing for MPI: no fence either
    if (!direct_ && send_host_.extent(0) > 0) Kokkos::deep_copy(exec, send_host_, send_buffer_);
    exec.fence();
    comm_ = comm;
    storage_ = storage.data();
    T* recv = direct_ ? recv_buffer_.data() : recv_host_.data();
    for (std::size_t k = 0; k < recvs_.size(); ++k) {
      const auto& m = recvs_[k];
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Irecv(storage.data(), 1, m.box, m.peer, tag, comm, &recv_requests_[k]), "MPI_Irecv", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage.data() + m.run_start : recv + m.buffer_offset;
      check_mpi(MPI_Irecv(at, static_cast<int>(m.count), type_.get(), m.peer, tag, comm, &recv_requests_[k]),
                "MPI_Irecv", algorithm);
    }
    if (!agreement_) {
      for (const int peer : peers()) post_sends(peer, algorithm);
    }
  }

  /// Waits for the messages and enqueues the unpack on `exec`: the ghosts
  /// are ready for work enqueued on `exec` afterwards.
  template <class Exec>
  void finish(const Exec& exec, const storage_view& storage, const char* algorithm) {
    if (agreement_) {
      agreement_->poll(true);
      apply_decisions(algorithm);
      agreement_ = nullptr;
    }
    for (auto* requests : {&recv_requests_, &send_requests_}) {
      if (!requests->empty())
        check_mpi(MPI_Waitall(static_cast<int>(requests->size()), requests->data(), MPI_STATUSES_IGNORE), "MPI_Waitall",
                  algorithm);
      requests->clear();
    }
    if (!direct_ && recv_host_.extent(0) > 0) Kokkos::deep_copy(exec, recv_buffer_, recv_host_);
    if (recv_index_.extent(0) > 0) {
      Kokkos::parallel_for("weft::halo_unpack", range(exec, static_cast<std::int64_t>(recv_index_.extent(0))),
                           unpack_functor<buffer_view, storage_view, index_view>{recv_buffer_, storage, recv_index_});
    }
  }

  /// Whether every message has arrived, letting MPI progress them meanwhile.
  bool test(const char* algorithm) {
    if (agreement_) {
      const bool all = agreement_->poll(false);
      apply_decisions(algorithm);
      if (!all) return false;
      agreement_ = nullptr;
    }
    for (auto* requests : {&recv_requests_, &send_requests_}) {
      if (requests->empty()) continue;
      int done = 0;
      check_mpi(MPI_Testall(static_cast<int>(requests->size()), requests->data(), &done, MPI_STATUSES_IGNORE),
                "MPI_Testall", algorithm);
      if (!done) return false;
    }
    return true;
  }

  /// Abandons posted messages after an error elsewhere (best effort, no throw).
  void cancel() noexcept {
    agreement_ = nullptr;
    for (auto* requests : {&recv_requests_, &send_requests_}) {
      for (auto& r : *requests) {
        if (r == MPI_REQUEST_NULL) continue;  // completed by an earlier test()
        MPI_Cancel(&r);
        MPI_Request_free(&r);
      }
      requests->clear();
    }
  }

  /// The ranks this plan exchanges messages with, ascending.
  std::vector<int> peers() const {
    std::vector<int> out;
    for (const auto* messages : {&sends_, &recvs_})
      for (const auto& m : *messages) out.push_back(m.peer);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  /// Messages and elements this plan sends to other ranks per exchange
  /// (for cost models), and the ghosts it copies locally.
  std::int64_t messages_sent() const { return static_cast<std::int64_t>(sends_.size()); }
  std::int64_t messages_received() const { return static_cast<std::int64_t>(recvs_.size()); }
  std::int64_t elements_sent() const {
    std::int64_t total = 0;
    for (const auto& m : sends_) total += m.count;
    return total;
  }
  /// Messages sent from or received into the storage itself (no buffer).
  std::int64_t messages_unbuffered() const {
    std::int64_t k = 0;
    for (const auto& m : sends_) k += m.run_start >= 0;
    for (const auto& m : recvs_) k += m.run_start >= 0;
    return k;
  }
  std::int64_t elements_copied_locally() const { return static_cast<std::int64_t>(local_to_.extent(0)); }
  bool direct() const { return direct_; }

  /// Whether any ghost on face `side` (0 low, 1 high) of dimension d comes
  /// from another rank, i.e. is only valid after wait().
  bool remote_face(int d, int side) const { return remote_faces_.at(static_cast<std::size_t>(d))[static_cast<std::size_t>(side)]; }

 private:
  static constexpr int tag = 0x7ef7;

  static index_view to_device(const std::vector<std::int64_t>& host, const char* label) {
    index_view v(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing), host.size());
    Kokkos::View<const std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(host.data(),
                                                                                                     host.size());
    Kokkos::deep_copy(v, h);
    return v;
  }

  // One message to or from a peer: `count` elements, either the storage
  // run starting at `run_start`, or the box of the storage `box` (an MPI
  // subarray type, run_start 0), or (run_start < 0) through the buffer from
  // `buffer_offset`.
  struct message {
    int peer;
    std::int64_t count, run_start, buffer_offset;
    MPI_Datatype box = MPI_DATATYPE_NULL;
  };

  // The subarray type of the storage elements [first, last) of a storage of
  // `extents` (row-major), if they are one box of it listed in row-major
  // order; MPI_DATATYPE_NULL otherwise.
  MPI_Datatype box_type(std::vector<std::int64_t>::const_iterator first,
                        std::vector<std::int64_t>::const_iterator last, const std::vector<std::int64_t>& extents,
                        const char* algorithm) const {
    const std::size_t rank = extents.size();
    if (rank < 2 || rank > 3) return MPI_DATATYPE_NULL;
    auto coords = [&](std::int64_t flat) {
      std::array<std::int64_t, 3> c{};
      for (std::size_t d = rank; d-- > 0;) {
        c[d] = flat % extents[d];
        flat /= extents[d];
      }
      return c;
    };
    std::array<std::int64_t, 3> lo = coords(*first), hi = lo;
    for (auto it = first; it != last; ++it) {
      const auto c = coords(*it);
      for (std::size_t d = 0; d < rank; ++d) {
        lo[d] = std::min(lo[d], c[d]);
        hi[d] = std::max(hi[d], c[d]);
      }
    }
    std::int64_t points = 1;
    for (std::size_t d = 0; d < rank; ++d) points *= hi[d] - lo[d] + 1;
    if (points != last - first) return MPI_DATATYPE_NULL;
    // Row-major order over the box, element by element.
    std::array<std::int64_t, 3> c = lo;
    for (auto it = first; it != last; ++it) {
      std::int64_t flat = 0;
      for (std::size_t d = 0; d < rank; ++d) flat = flat * extents[d] + c[d];
      if (flat != *it) return MPI_DATATYPE_NULL;
      for (std::size_t d = rank; d-- > 0;) {
        if (++c[d] <= hi[d]) break;
        c[d] = lo[d];
      }
    }
    int sizes[3], subsizes[3], starts[3];
    for (std::size_t d = 0; d < rank; ++d) {
      sizes[d] = mpi_count(extents[d], algorithm);
      subsizes[d] = static_cast<int>(hi[d] - lo[d] + 1);
      starts[d] = static_cast<int>(lo[d]);
    }
    MPI_Datatype type = MPI_DATATYPE_NULL;
    check_mpi(MPI_Type_create_subarray(static_cast<int>(rank), sizes, subsizes, starts, MPI_ORDER_C, type_.get(),
                                       &type),
              "MPI_Type_create_subarray", algorithm);
    check_mpi(MPI_Type_commit(&type), "MPI_Type_commit", algorithm);
    return type;
  }

  // The messages, in peer order (split at the breaks, which both sides of
  // a pair apply whatever their memory, so their messages match), and the
  // index list of the buffered ones. Where MPI can use the memory, a run of
  // consecutive storage elements goes in place, and in host memory a box of
  // a grid's storage too.
  index_view plan_messages(const std::map<int, std::vector<std::int64_t>>& by_peer,
                           const std::map<int, std::vector<std::int64_t>>& breaks,
                           const std::vector<std::int64_t>& storage_extents, std::vector<message>& messages,
                           const char* label, const char* algorithm) const {
    std::vector<std::int64_t> buffered;
    for (const auto& [peer, list] : by_peer) {
      std::vector<std::int64_t> cuts{0};
      if (const auto it = breaks.find(peer); it != breaks.end())
        for (std::int64_t b : it->second)
          if (b > cuts.back() && b < static_cast<std::int64_t>(list.size())) cuts.push_back(b);
      cuts.push_back(static_cast<std::int64_t>(list.size()));
      for (std::size_t part = 0; part + 1 < cuts.size(); ++part) {
        const auto first = list.begin() + cuts[part], last = list.begin() + cuts[part + 1];
        if (first == last) continue;
        bool run = direct_;
        for (auto it = first + 1; it < last && run; ++it) run = *it == *(it - 1) + 1;
        const auto count = static_cast<std::int64_t>(last - first);
        if (run) {
          messages.push_back({peer, count, *first, 0});
          continue;
        }
        // Boxes in host memory only: MPI's datatype engine copies device
        // memory piece by piece, where weft's pack kernel is one launch.
        if (direct_ && Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
          if (const MPI_Datatype box = box_type(first, last, storage_extents, algorithm); box != MPI_DATATYPE_NULL) {
            messages.push_back({peer, count, 0, 0, box});
            continue;
          }
        }
        messages.push_back({peer, count, -1, static_cast<std::int64_t>(buffered.size())});
        buffered.insert(buffered.end(), first, last);
      }
    }
    return to_device(buffered, label);
  }

  // Posts the messages to `peer`.
  void post_sends(int peer, const char* algorithm) {
    T* send = direct_ ? send_buffer_.data() : send_host_.data();
    for (std::size_t k = 0; k < sends_.size(); ++k) {
      const auto& m = sends_[k];
      if (m.peer != peer) continue;
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Isend(storage_, 1, m.box, m.peer, tag, comm_, &send_requests_[k]), "MPI_Isend", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage_ + m.run_start : send + m.buffer_offset;
      check_mpi(MPI_Isend(at, static_cast<int>(m.count), type_.get(), m.peer, tag, comm_, &send_requests_[k]),
                "MPI_Isend", algorithm);
    }
  }

  // For each peer whose words have arrived since the last call: send to it
  // if it agrees; otherwise it sends nothing here either, and the receives
  // from it are cancelled.
  void apply_decisions(const char* algorithm) {
    for (const int peer : peers()) {
      if (std::find(decided_.begin(), decided_.end(), peer) != decided_.end()) continue;
      const auto agreed = agreement_->decision(peer);
      if (!agreed) continue;
      decided_.push_back(peer);
      if (*agreed) {
        post_sends(peer, algorithm);
        continue;
      }
      for (std::size_t k = 0; k < recvs_.size(); ++k) {
        if (recvs_[k].peer != peer || recv_requests_[k] == MPI_REQUEST_NULL) continue;
        check_mpi(MPI_Cancel(&recv_requests_[k]), "MPI_Cancel", algorithm);
        check_mpi(MPI_Wait(&recv_requests_[k], MPI_STATUS_IGNORE), "MPI_Wait", algorithm);
      }
    }
  }

  bool direct_;
  std::vector<std::array<bool, 2>> remote_faces_;
  mpi_element_type<T> type_{"weft::halo_exchange"};
  std::vector<message> sends_, recvs_;
  index_view send_index_, recv_index_, local_from_, local_to_, constant_index_;
  buffer_view send_buffer_, recv_buffer_;
  host_buffer_view send_host_, recv_host_;
  std::vector<MPI_Request> recv_requests_, send_requests_;
  // The exchange in flight: where its sends come from, and its agreement.
  MPI_Comm comm_ = MPI_COMM_NULL;
  T* storage_ = nullptr;
  neighbour_agreement* agreement_ = nullptr;
  std::vector<int> decided_;  // peers whose decision this exchange has applied
};

}  // namespace weft::detail
