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
#include "mpi.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
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
  /// touches the buffers.
  template <class Exec>
  void start(const Exec& exec, const storage_view& storage, const std::optional<T>& constant, MPI_Comm comm,
             const char* algorithm) {
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
    requests_.clear();
    if (sends_.empty() && recvs_.empty()) return;  // nothing for MPI: no fence either
    if (!direct_ && send_host_.extent(0) > 0) Kokkos::deep_copy(exec, send_host_, send_buffer_);
    exec.fence();
    T* recv = direct_ ? recv_buffer_.data() : recv_host_.data();
    T* send = direct_ ? send_buffer_.data() : send_host_.data();
    requests_.reserve(recvs_.size() + sends_.size());
    for (const auto& m : recvs_) {
      requests_.emplace_back();
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Irecv(storage.data(), 1, m.box, m.peer, tag, comm, &requests_.back()), "MPI_Irecv", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage.data() + m.run_start : recv + m.buffer_offset;
      check_mpi(MPI_Irecv(at, static_cast<int>(m.count), type_.get(), m.peer, tag, comm, &requests_.back()),
                "MPI_Irecv", algorithm);
    }
    for (const auto& m : sends_) {
      requests_.emplace_back();
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Isend(storage.data(), 1, m.box, m.peer, tag, comm, &requests_.back()), "MPI_Isend", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage.data() + m.run_start : send + m.buffer_offset;
      check_mpi(MPI_Isend(at, static_cast<int>(m.count), type_.get(), m.peer, tag, comm, &requests_.back()),
                "MPI_Isend", algorithm);
    }
  }

  /// Waits for the messages and enqueues the unpack on `exec`: the ghosts
  /// are ready for work enqueued on `exec` afterwards.
  template <class Exec>
  void finish(const Exec& exec, const storage_view& storage, const char* algorithm) {
    if (!requests_.empty()) {
      check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
                "MPI_Waitall", algorithm);
      requests_.clear();
    }
    if (!direct_ && recv_host_.extent(0) > 0) Kokkos::deep_copy(exec, recv_buffer_, recv_host_);
    if (recv_index_.extent(0) > 0) {
      Kokkos::parallel_for("weft::halo_unpack", range(exec, static_cast<std::int64_t>(recv_index_.extent(0))),
                           unpack_functor<buffer_view, storage_view, index_view>{recv_buffer_, storage, recv_index_});
    }
  }

  /// Whether every message has arrived, letting MPI progress them meanwhile.
  bool test(const char* algorithm) {
    if (requests_.empty()) return true;
    int done = 0;
    check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE),
              "MPI_Testall", algorithm);
    return done != 0;
  }

  /// Abandons posted messages after an error elsewhere (best effort, no throw).
  void cancel() noexcept {
    for (auto& r : requests_) {
      if (r == MPI_REQUEST_NULL) continue;  // completed by an earlier test()
      MPI_Cancel(&r);
      MPI_Request_free(&r);
    }
    requests_.clear();
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

  bool direct_;
  std::vector<std::array<bool, 2>> remote_faces_;
  mpi_element_type<T> type_{"weft::halo_exchange"};
  std::vector<message> sends_, recvs_;
  index_view send_index_, recv_index_, local_from_, local_to_, constant_index_;
  buffer_view send_buffer_, recv_buffer_;
  host_buffer_view send_host_, recv_host_;
  std::vector<MPI_Request> requests_;
};

}  // namespace weft::detail
