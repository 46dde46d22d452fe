// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The halo exchange engine shared by distributed vectors and grids.
//
// A halo_plan turns a layout's copy_plan (boxes per message, in the order
// both sides of a pair derive alike, so messages need no headers) into what
// one value type and memory space need: an MPI datatype per message that
// MPI can take from the storage itself, and for the rest a list of boxes
// that one kernel packs into (or unpacks from) a buffer. Where MPI can use
// the memory, a message that is one contiguous run of the storage goes in
// place, and in host memory so does one box of it (an MPI subarray); device
// memory is packed by weft's kernel, one launch, from the box list (no index
// per element). Ghosts a rank supplies to itself (a periodic dimension it
// spans alone, a clamped edge) and boundary constants never go through MPI:
// one kernel writes them when the exchange starts, so work that reads only
// those ghosts can run before wait(). The plan is immutable and shared by
// every field of its type on the layout; each field's halo_exchanger holds
// the buffers and requests of its own exchanges, allocated once. Device
// memory goes to MPI directly when the MPI is GPU-aware, else through host
// mirrors of the buffers.

#include "../../detail/policy.hpp"
#include "../communicator.hpp"
#include "copy_plan.hpp"
#include "mpi.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::detail {

/// A storage_box as kernels read it. Kernels walk a list of boxes by units
/// of about row_piece elements: a piece of one row along the last
/// dimension where rows are long, several whole rows where they are short
/// (a face across the last dimension has rows of one cell). The index
/// arithmetic (a search for the box, divisions) is paid per unit, and each
/// unit is a plain loop. `first` is the position of the box's first element
/// in the concatenation of the list's boxes (a buffer offset, for
/// messages); `first_unit` its first unit; a unit covers `rows` rows of
/// `piece` elements each; `units1` and `units2` are the units across
/// dimensions 1 and 2.
struct device_box {
  std::int64_t lo[3], extent[3], step[3];
  std::int64_t first, first_unit, rows, piece, units1, units2;
};
inline constexpr std::int64_t row_piece = 256;

/// The box of a list holding unit u: the last whose first unit is at or
/// before u (binary search: a plan has few boxes).
template <class Boxes>
KOKKOS_INLINE_FUNCTION std::int64_t box_holding(const Boxes& boxes, std::int64_t u) {
  std::int64_t lo = 0, hi = static_cast<std::int64_t>(boxes.extent(0));
  while (hi - lo > 1) {
    const std::int64_t mid = (lo + hi) / 2;
    if (boxes(mid).first_unit <= u)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/// Calls f(storage element, position in the box, i0, i1, j) for every
/// element (i0, i1, j) of unit u of box b, in a storage whose last two
/// extents are e1 and e2.
template <class F>
KOKKOS_INLINE_FUNCTION void for_each_in_unit(const device_box& b, std::int64_t u, std::int64_t e1, std::int64_t e2,
                                             F f) {
  const std::int64_t per_plane = b.units1 * b.units2, v = u - b.first_unit;
  const std::int64_t i0 = v / per_plane, w = v % per_plane;
  const std::int64_t r0 = (w / b.units2) * b.rows, j0 = (w % b.units2) * b.piece;
  const std::int64_t r1 = r0 + b.rows < b.extent[1] ? r0 + b.rows : b.extent[1];
  const std::int64_t j1 = j0 + b.piece < b.extent[2] ? j0 + b.piece : b.extent[2];
  const std::int64_t plane = (b.lo[0] + b.step[0] * i0) * e1 + b.lo[1];
  for (std::int64_t i1 = r0; i1 < r1; ++i1) {
    const std::int64_t at = (plane + b.step[1] * i1) * e2 + b.lo[2], in_box = (i0 * b.extent[1] + i1) * b.extent[2];
    for (std::int64_t j = j0; j < j1; ++j) f(at + b.step[2] * j, in_box + j, i0, i1, j);
  }
}

template <class Buffer, class Storage, class Boxes>
struct box_pack_functor {
  Buffer buffer;
  Storage storage;
  Boxes boxes;
  std::int64_t e1, e2;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t u) const {
    const device_box b = boxes(box_holding(boxes, u));  // a copy: stores cannot alias it
    for_each_in_unit(b, u, e1, e2, [&](std::int64_t s, std::int64_t k, std::int64_t, std::int64_t, std::int64_t) {
      buffer(b.first + k) = storage(s);
    });
  }
};

template <class Buffer, class Storage, class Boxes>
struct box_unpack_functor {
  Buffer buffer;
  Storage storage;
  Boxes boxes;
  std::int64_t e1, e2;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t u) const {
    const device_box b = boxes(box_holding(boxes, u));  // a copy: stores cannot alias it
    for_each_in_unit(b, u, e1, e2, [&](std::int64_t s, std::int64_t k, std::int64_t, std::int64_t, std::int64_t) {
      storage(s) = buffer(b.first + k);
    });
  }
};

/// Copies within the storage: box `from(i)` into box `to(i)` (the same
/// extents), element by element in the same order: the element at position
/// k of `to` takes the one at position k of `from`.
template <class Storage, class Boxes>
struct box_copy_functor {
  Storage storage;
  Boxes from, to;
  std::int64_t e1, e2;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t u) const {
    const std::int64_t i = box_holding(to, u);
    const device_box t = to(i), f = from(i);  // copies: stores cannot alias them
    for_each_in_unit(t, u, e1, e2, [&](std::int64_t s, std::int64_t, std::int64_t i0, std::int64_t i1, std::int64_t j) {
      storage(s) = storage(((f.lo[0] + f.step[0] * i0) * e1 + f.lo[1] + f.step[1] * i1) * e2 + f.lo[2] + f.step[2] * j);
    });
  }
};

template <class Storage, class Boxes, class T>
struct box_set_functor {
  Storage storage;
  Boxes boxes;
  T value;
  std::int64_t e1, e2;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t u) const {
    const device_box b = boxes(box_holding(boxes, u));  // a copy: stores cannot alias it
    for_each_in_unit(b, u, e1, e2, [&](std::int64_t s, std::int64_t, std::int64_t, std::int64_t, std::int64_t) {
      storage(s) = value;
    });
  }
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
class halo_exchanger;

/// The halo state of one vector or grid, shared by its copies: an exchanger
/// per halo specification it has used (buffers and requests; the plans
/// themselves belong to the layout), and whether an exchange is in flight
/// (of any kind: two at once would mix their messages).
template <class T, class MemorySpace>
struct field_halo_state {
  std::vector<std::pair<halo_spec, std::unique_ptr<halo_exchanger<T, MemorySpace>>>> exchangers;
  bool in_flight = false;
  /// The ranks this object exchanges halo messages with under any
  /// specification, known once an exchange has been settled across all
  /// ranks: later calls agree with these neighbours only
  /// (neighbour_agreement), so both sides of every pair that any
  /// specification connects hear each other even when the ranks pass
  /// different ones.
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
  using boxes_view = Kokkos::View<device_box*, MemorySpace>;

  // One message to or from a peer: `count` elements, either the storage
  // run starting at `run_start`, or one box of the storage `box` (an MPI
  // subarray type, run_start 0), or (run_start < 0) through the buffer from
  // `buffer_offset`. A run or buffer goes in `pieces` MPI messages
  // (message_pieces), whose requests start at `first_request`.
  struct message {
    int peer;
    std::int64_t count, run_start, buffer_offset;
    MPI_Datatype box = MPI_DATATYPE_NULL;
    std::int64_t pieces = 1, first_request = 0;
  };

  halo_plan(std::shared_ptr<const copy_plan> geometry, const char* algorithm)
      : geometry_(std::move(geometry)), direct_(mpi_can_use_directly<MemorySpace>()) {
    const copy_plan& g = *geometry_;
    send_boxes_ = plan_messages(g.sends, sends_, send_elements_, send_units_, "weft::halo send boxes", algorithm);
    recv_boxes_ = plan_messages(g.recvs, recvs_, recv_elements_, recv_units_, "weft::halo recv boxes", algorithm);
    std::vector<device_box> from, to;
    for (const auto& c : g.local) {
      if (c.to.size() == 0) continue;
      from.push_back(to_device_box(c.from, local_elements_, local_units_));
      to.push_back(to_device_box(c.to, local_elements_, local_units_));
      local_elements_ += c.to.size();
      local_units_ += units_of(to.back());
    }
    local_from_ = to_device(from, "weft::halo local sources");
    local_to_ = to_device(to, "weft::halo local ghosts");
    std::vector<device_box> constant;
    for (const auto& b : g.constant) {
      if (b.size() == 0) continue;
      constant.push_back(to_device_box(b, constant_elements_, constant_units_));
      constant_elements_ += b.size();
      constant_units_ += units_of(constant.back());
    }
    constant_boxes_ = to_device(constant, "weft::halo constant boxes");
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

  const std::vector<message>& sends() const { return sends_; }
  const std::vector<message>& recvs() const { return recvs_; }
  /// Elements per piece of a run or buffered message (message_pieces).
  std::int64_t piece_elements() const { return piece_elements_; }
  /// MPI requests an exchange posts: the messages' pieces.
  std::int64_t send_requests() const { return requests_of(sends_); }
  std::int64_t recv_requests() const { return requests_of(recvs_); }
  MPI_Datatype element_type() const { return type_.get(); }
  bool direct() const { return direct_; }
  /// Elements packed into the send buffer and unpacked from the receive
  /// buffer per exchange.
  std::int64_t send_buffer_size() const { return send_elements_; }
  std::int64_t recv_buffer_size() const { return recv_elements_; }

  /// Enqueues on `exec` the pack of the buffered sends.
  template <class Exec, class Buffer>
  void pack(const Exec& exec, const Buffer& buffer, const storage_view& storage) const {
    if (send_units_ == 0) return;
    Kokkos::parallel_for("weft::halo_pack", range(exec, send_units_),
                         box_pack_functor<Buffer, storage_view, boxes_view>{buffer, storage, send_boxes_, e1(), e2()});
  }
  /// Enqueues on `exec` the unpack of the buffered receives.
  template <class Exec, class Buffer>
  void unpack(const Exec& exec, const Buffer& buffer, const storage_view& storage) const {
    if (recv_units_ == 0) return;
    Kokkos::parallel_for(
        "weft::halo_unpack", range(exec, recv_units_),
        box_unpack_functor<Buffer, storage_view, boxes_view>{buffer, storage, recv_boxes_, e1(), e2()});
  }
  /// Enqueues on `exec` the ghosts this rank supplies itself, and the
  /// boundary constants (with one).
  template <class Exec>
  void fill_locally(const Exec& exec, const storage_view& storage, const std::optional<T>& constant) const {
    if (local_units_ > 0) {
      Kokkos::parallel_for("weft::halo_local", range(exec, local_units_),
                           box_copy_functor<storage_view, boxes_view>{storage, local_from_, local_to_, e1(), e2()});
    }
    if (constant && constant_units_ > 0) {
      Kokkos::parallel_for(
          "weft::halo_constant", range(exec, constant_units_),
          box_set_functor<storage_view, boxes_view, T>{storage, constant_boxes_, *constant, e1(), e2()});
    }
  }

  /// The ranks this plan exchanges messages with, ascending.
  std::vector<int> peers() const { return geometry_->peers(); }
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
    for (const auto* messages : {&sends_, &recvs_})
      for (const auto& m : *messages) k += m.run_start >= 0;
    return k;
  }
  std::int64_t elements_copied_locally() const { return local_elements_; }
  /// Whether any ghost on face `side` (0 low, 1 high) of dimension d comes
  /// from another rank, i.e. is only valid after wait().
  bool remote_face(int d, int side) const {
    return geometry_->remote_faces.at(static_cast<std::size_t>(d))[static_cast<std::size_t>(side)];
  }

 private:
  static std::int64_t requests_of(const std::vector<message>& messages) {
    return messages.empty() ? 0 : messages.back().first_request + messages.back().pieces;
  }
  std::int64_t e1() const { return geometry_->extents[1]; }
  std::int64_t e2() const { return geometry_->extents[2]; }

  static device_box to_device_box(const storage_box& b, std::int64_t first, std::int64_t first_unit) {
    device_box d{};
    for (int k = 0; k < 3; ++k) {
      d.lo[k] = b.lo[static_cast<std::size_t>(k)];
      d.extent[k] = b.extent[static_cast<std::size_t>(k)];
      d.step[k] = b.step[static_cast<std::size_t>(k)];
    }
    d.first = first;
    d.first_unit = first_unit;
    // Long rows in pieces of row_piece; short ones whole, several per unit.
    d.piece = std::min(d.extent[2], row_piece);
    d.rows = std::max<std::int64_t>(1, row_piece / std::max<std::int64_t>(1, d.extent[2]));
    d.units1 = (d.extent[1] + d.rows - 1) / d.rows;
    d.units2 = (d.extent[2] + d.piece - 1) / std::max<std::int64_t>(1, d.piece);
    return d;
  }
  static std::int64_t units_of(const device_box& d) { return d.extent[0] * d.units1 * d.units2; }

  static boxes_view to_device(const std::vector<device_box>& host, const char* label) {
    boxes_view v(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing), host.size());
    Kokkos::View<const device_box*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(host.data(),
                                                                                                  host.size());
    Kokkos::deep_copy(v, h);
    return v;
  }

  // Whether box b can go as one MPI subarray of the storage: its bytes fit
  // one message, and the storage's extents MPI's int.
  bool fits_subarray(const storage_box& b) const {
    if (b.size() > piece_elements_) return false;
    for (const std::int64_t e : geometry_->extents)
      if (e > INT_MAX) return false;
    return true;
  }

  // The subarray type of box b of the storage (three dimensions, padded).
  MPI_Datatype subarray(const storage_box& b, const char* algorithm) const {
    int sizes[3], subsizes[3], starts[3];
    for (std::size_t d = 0; d < 3; ++d) {
      sizes[d] = static_cast<int>(geometry_->extents[d]);
      subsizes[d] = static_cast<int>(b.extent[d]);
      starts[d] = static_cast<int>(b.lo[d]);
    }
    MPI_Datatype type = MPI_DATATYPE_NULL;
    check_mpi(MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_C, type_.get(), &type),
              "MPI_Type_create_subarray", algorithm);
    check_mpi(MPI_Type_commit(&type), "MPI_Type_commit", algorithm);
    return type;
  }

  // The messages, in plan order, and the box list of the buffered ones.
  // Where MPI can use the memory, a message that is one contiguous run of
  // the storage goes in place, and in host memory one box of it too (MPI's
  // datatype engine copies device memory piece by piece, where weft's pack
  // kernel is one launch).
  boxes_view plan_messages(const std::vector<box_message>& planned, std::vector<message>& messages,
                           std::int64_t& buffered, std::int64_t& units, const char* label,
                           const char* algorithm) const {
    std::vector<device_box> boxes;
    std::int64_t requests = 0;
    auto add = [&](message msg) {
      msg.pieces = msg.box != MPI_DATATYPE_NULL ? 1 : (msg.count + piece_elements_ - 1) / piece_elements_;
      msg.first_request = requests;
      requests += msg.pieces;
      messages.push_back(msg);
    };
    for (const auto& m : planned) {
      const std::int64_t count = m.count();
      if (count == 0) continue;
      if (direct_ && m.boxes.size() == 1 && !m.boxes[0].repeats()) {
        const storage_box& b = m.boxes[0];
        if (b.contiguous_in(geometry_->extents)) {
          add({m.peer, count, b.first_element(geometry_->extents), 0});
          continue;
        }
        if (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible && fits_subarray(b)) {
          add({m.peer, count, 0, 0, subarray(b, algorithm)});
          continue;
        }
      }
      add({m.peer, count, -1, buffered});
      for (const auto& b : m.boxes) {
        if (b.size() == 0) continue;
        boxes.push_back(to_device_box(b, buffered, units));
        buffered += b.size();
        units += units_of(boxes.back());
      }
    }
    return to_device(boxes, label);
  }

  std::shared_ptr<const copy_plan> geometry_;
  bool direct_;
  std::int64_t piece_elements_ = message_piece_elements<T>();
  mpi_element_type<T> type_{"weft::halo_exchange"};
  std::vector<message> sends_, recvs_;
  boxes_view send_boxes_, recv_boxes_, local_from_, local_to_, constant_boxes_;
  std::int64_t send_elements_ = 0, recv_elements_ = 0, local_elements_ = 0, constant_elements_ = 0;
  std::int64_t send_units_ = 0, recv_units_ = 0, local_units_ = 0, constant_units_ = 0;  // row pieces
};

/// One field's exchanges under one plan: the buffers (allocated once) and
/// the requests of the exchange in flight.
template <class T, class MemorySpace>
class halo_exchanger {
 public:
  using plan_type = halo_plan<T, MemorySpace>;
  using storage_view = typename plan_type::storage_view;
  using buffer_view = Kokkos::View<T*, MemorySpace>;
  using host_buffer_view = typename buffer_view::HostMirror;

  explicit halo_exchanger(std::shared_ptr<const plan_type> plan)
      : plan_(std::move(plan)),
        send_buffer_(Kokkos::view_alloc("weft::halo send buffer", Kokkos::WithoutInitializing),
                     static_cast<std::size_t>(plan_->send_buffer_size())),
        recv_buffer_(Kokkos::view_alloc("weft::halo recv buffer", Kokkos::WithoutInitializing),
                     static_cast<std::size_t>(plan_->recv_buffer_size())) {
    if (!plan_->direct()) {
      send_host_ = Kokkos::create_mirror(send_buffer_);
      recv_host_ = Kokkos::create_mirror(recv_buffer_);
    }
  }
  halo_exchanger(const halo_exchanger&) = delete;
  halo_exchanger& operator=(const halo_exchanger&) = delete;

  const plan_type& plan() const { return *plan_; }

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
    const plan_type& plan = *plan_;
    plan.pack(exec, send_buffer_, storage);
    plan.fill_locally(exec, storage, constant);
    recv_requests_.assign(static_cast<std::size_t>(plan.recv_requests()), MPI_REQUEST_NULL);
    send_requests_.assign(static_cast<std::size_t>(plan.send_requests()), MPI_REQUEST_NULL);
    agreement_ = agreement;
    decided_.clear();
    if (plan.sends().empty() && plan.recvs().empty()) return;  // nothing for MPI: no fence either
    if (!plan.direct() && send_host_.extent(0) > 0) Kokkos::deep_copy(exec, send_host_, send_buffer_);
    exec.fence();
    comm_ = comm;
    storage_ = storage.data();
    T* recv = plan.direct() ? recv_buffer_.data() : recv_host_.data();
    for (const auto& m : plan.recvs()) {
      MPI_Request* request = &recv_requests_[static_cast<std::size_t>(m.first_request)];
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Irecv(storage.data(), 1, m.box, m.peer, tag, comm, request), "MPI_Irecv", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage.data() + m.run_start : recv + m.buffer_offset;
      for_each_piece(m, [&](std::int64_t offset, int n, std::int64_t piece) {
        check_mpi(MPI_Irecv(at + offset, n, plan.element_type(), m.peer, tag, comm, request + piece), "MPI_Irecv",
                  algorithm);
      });
    }
    if (!agreement_) {
      for (const int peer : peers_) post_sends(peer, algorithm);
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
    if (!plan_->direct() && recv_host_.extent(0) > 0) Kokkos::deep_copy(exec, recv_buffer_, recv_host_);
    plan_->unpack(exec, recv_buffer_, storage);
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

 private:
  static constexpr int tag = 0x7ef7;

  // Calls f(offset, count, piece) for each piece of a run or buffered message.
  template <class F>
  void for_each_piece(const typename plan_type::message& m, F f) const {
    const std::int64_t piece = plan_->piece_elements();
    for (std::int64_t p = 0; p < m.pieces; ++p) f(p * piece, static_cast<int>(std::min(piece, m.count - p * piece)), p);
  }

  // Posts the messages to `peer`.
  void post_sends(int peer, const char* algorithm) {
    const plan_type& plan = *plan_;
    T* send = plan.direct() ? send_buffer_.data() : send_host_.data();
    for (const auto& m : plan.sends()) {
      if (m.peer != peer) continue;
      MPI_Request* request = &send_requests_[static_cast<std::size_t>(m.first_request)];
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Isend(storage_, 1, m.box, m.peer, tag, comm_, request), "MPI_Isend", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? storage_ + m.run_start : send + m.buffer_offset;
      for_each_piece(m, [&](std::int64_t offset, int n, std::int64_t piece) {
        check_mpi(MPI_Isend(at + offset, n, plan.element_type(), m.peer, tag, comm_, request + piece), "MPI_Isend",
                  algorithm);
      });
    }
  }

  // For each peer whose words have arrived since the last call: send to it
  // if it agrees; otherwise it sends nothing here either, and the receives
  // from it are cancelled.
  void apply_decisions(const char* algorithm) {
    for (const int peer : peers_) {
      if (std::find(decided_.begin(), decided_.end(), peer) != decided_.end()) continue;
      const auto agreed = agreement_->decision(peer);
      if (!agreed) continue;
      decided_.push_back(peer);
      if (*agreed) {
        post_sends(peer, algorithm);
        continue;
      }
      for (const auto& m : plan_->recvs()) {
        if (m.peer != peer) continue;
        for (std::int64_t k = m.first_request; k < m.first_request + m.pieces; ++k) {
          MPI_Request& r = recv_requests_[static_cast<std::size_t>(k)];
          if (r == MPI_REQUEST_NULL) continue;
          check_mpi(MPI_Cancel(&r), "MPI_Cancel", algorithm);
          check_mpi(MPI_Wait(&r, MPI_STATUS_IGNORE), "MPI_Wait", algorithm);
        }
      }
    }
  }

  std::shared_ptr<const plan_type> plan_;
  std::vector<int> peers_ = plan_->peers();
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
