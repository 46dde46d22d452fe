// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft's one engine for moving data between ranks: halo exchanges,
// redistribution of vectors and grids, the all-to-all exchange of the
// distributed sort, gather and scatter all run a copy_plan through it.
//
// A typed_copy_plan turns a copy_plan (boxes per message, in the order both
// sides of a pair derive alike, so messages need no headers) into what one
// value type and memory space need: an MPI datatype per message that MPI
// can take from the storage itself, and for the rest a list of boxes that
// one kernel packs into (or unpacks from) a buffer. Where MPI can use the
// memory, a message that is one contiguous run of its storage goes in
// place, and in host memory so does one box of it (an MPI subarray);
// device memory is packed by weft's kernel, one launch, from the box list
// (no index per element). Copies within a rank and constant boxes never go
// through MPI: one kernel each. Runs and buffers go in pieces of at most
// message_piece_bytes(), so no count exceeds MPI's int. The plan is
// immutable; each user's copy_exchanger holds the buffers and requests of
// its own exchanges, allocated once. Memory MPI cannot use goes through
// host mirrors of the buffers (weft's one staging policy,
// mpi_can_use_directly).
//
// A plan moves data from one storage (the sends and the local copies'
// sources, `from_extents`) into another (the receives, the local copies'
// destinations and the constants, `to_extents`); a halo exchange passes the
// same storage twice.

#include "../../detail/policy.hpp"
#include "copy_plan.hpp"
#include "mpi.hpp"
#include "neighbour_agreement.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft::detail {

/// Message tags, one per kind of movement, so that movements in flight on
/// one communicator at once (a halo exchange started, then a
/// redistribution) never take each other's messages.
inline constexpr int halo_tag = 0x7ef7;
inline constexpr int redistribute_tag = 0x7ef8;
inline constexpr int exchange_tag = 0x7ef9;  // the all-to-all exchange, gather and scatter

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

/// Copies box `from(i)` of one storage (last extents f1, f2) into box
/// `to(i)` (the same extents) of another, or of the same (last extents t1,
/// t2), element by element in the same order: the element at position k of
/// `to` takes the one at position k of `from`.
template <class Storage, class Boxes>
struct box_copy_functor {
  Storage source, destination;
  Boxes from, to;
  std::int64_t f1, f2, t1, t2;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t u) const {
    const std::int64_t i = box_holding(to, u);
    const device_box t = to(i), f = from(i);  // copies: stores cannot alias them
    for_each_in_unit(t, u, t1, t2, [&](std::int64_t s, std::int64_t, std::int64_t i0, std::int64_t i1, std::int64_t j) {
      destination(s) =
          source(((f.lo[0] + f.step[0] * i0) * f1 + f.lo[1] + f.step[1] * i1) * f2 + f.lo[2] + f.step[2] * j);
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

/// A list of boxes of one storage, in memory space M, as the kernels above
/// walk it: `elements` in all (a buffer of that size holds them packed, in
/// list order), `units` kernel work items.
template <class M>
struct box_list {
  Kokkos::View<device_box*, M> boxes;
  std::int64_t elements = 0, units = 0;

  /// Host side while building: append(), then to_device().
  struct builder {
    std::vector<device_box> boxes;
    std::int64_t elements = 0, units = 0;
    void append(const storage_box& b) {
      if (b.size() == 0) return;
      device_box d{};
      for (int k = 0; k < 3; ++k) {
        d.lo[k] = b.lo[static_cast<std::size_t>(k)];
        d.extent[k] = b.extent[static_cast<std::size_t>(k)];
        d.step[k] = b.step[static_cast<std::size_t>(k)];
      }
      d.first = elements;
      d.first_unit = units;
      // Long rows in pieces of row_piece; short ones whole, several per unit.
      d.piece = std::min(d.extent[2], row_piece);
      d.rows = std::max<std::int64_t>(1, row_piece / std::max<std::int64_t>(1, d.extent[2]));
      d.units1 = (d.extent[1] + d.rows - 1) / d.rows;
      d.units2 = (d.extent[2] + d.piece - 1) / std::max<std::int64_t>(1, d.piece);
      boxes.push_back(d);
      elements += b.size();
      units += d.extent[0] * d.units1 * d.units2;
    }
    box_list to_device(const char* label) const {
      box_list list;
      list.boxes = Kokkos::View<device_box*, M>(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing),
                                                boxes.size());
      Kokkos::View<const device_box*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(boxes.data(),
                                                                                                       boxes.size());
      Kokkos::deep_copy(list.boxes, host);
      list.elements = elements;
      list.units = units;
      return list;
    }
  };
};

/// A committed MPI datatype that frees itself (unless MPI is finalized).
class mpi_owned_type {
 public:
  mpi_owned_type() = default;
  explicit mpi_owned_type(MPI_Datatype type) : type_(type) {}
  mpi_owned_type(mpi_owned_type&& other) noexcept : type_(other.type_) { other.type_ = MPI_DATATYPE_NULL; }
  mpi_owned_type& operator=(mpi_owned_type&& other) noexcept {
    std::swap(type_, other.type_);
    return *this;
  }
  mpi_owned_type(const mpi_owned_type&) = delete;
  mpi_owned_type& operator=(const mpi_owned_type&) = delete;
  ~mpi_owned_type() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (type_ != MPI_DATATYPE_NULL && !finalized) MPI_Type_free(&type_);
  }
  MPI_Datatype get() const { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

/// Whether box b of a storage of `extents` can be one MPI subarray: every
/// extent fits MPI's int, no element repeats, and it holds at most
/// `most_elements`.
inline bool fits_subarray(const storage_box& b, const std::array<std::int64_t, 3>& extents,
                          std::int64_t most_elements) {
  if (b.repeats() || b.size() > most_elements) return false;
  for (const std::int64_t e : extents)
    if (e > INT_MAX) return false;
  return true;
}

/// The committed subarray type of box b (which fits_subarray) of a
/// row-major storage of `extents`, of elements `element`.
inline mpi_owned_type box_subarray(const storage_box& b, const std::array<std::int64_t, 3>& extents,
                                   MPI_Datatype element, const char* algorithm) {
  int sizes[3], subsizes[3], starts[3];
  for (std::size_t d = 0; d < 3; ++d) {
    sizes[d] = static_cast<int>(extents[d]);
    subsizes[d] = static_cast<int>(b.extent[d]);
    starts[d] = static_cast<int>(b.lo[d]);
  }
  MPI_Datatype type = MPI_DATATYPE_NULL;
  check_mpi(MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_C, element, &type),
            "MPI_Type_create_subarray", algorithm);
  check_mpi(MPI_Type_commit(&type), "MPI_Type_commit", algorithm);
  return mpi_owned_type(type);
}

template <class T, class MemorySpace>
class typed_copy_plan {
 public:
  using storage_view = Kokkos::View<T*, MemorySpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using boxes_view = Kokkos::View<device_box*, MemorySpace>;

  // One message to or from a peer: `count` elements, either the storage
  // run starting at `run_start`, or one box of the storage (`box`, an MPI
  // subarray type; run_start 0), or (run_start < 0) through the buffer from
  // `buffer_offset`. A run or buffer goes in `pieces` MPI messages
  // (message_pieces), whose requests start at `first_request`.
  struct message {
    int peer;
    std::int64_t count, run_start, buffer_offset;
    MPI_Datatype box = MPI_DATATYPE_NULL;
    std::int64_t pieces = 1, first_request = 0;
  };

  /// `subarrays`: whether single boxes of host memory may go as MPI
  /// subarrays (halo faces: yes; large blocks move faster packed, as one
  /// contiguous message that shared-memory transports copy once).
  typed_copy_plan(std::shared_ptr<const copy_plan> geometry, const char* algorithm, bool subarrays = true)
      : geometry_(std::move(geometry)), direct_(mpi_can_use_directly<MemorySpace>()), subarrays_(subarrays) {
    const copy_plan& g = *geometry_;
    sends_boxes_ = plan_messages(g.sends, g.from_extents, sends_, "weft::copy send boxes", algorithm);
    recvs_boxes_ = plan_messages(g.recvs, g.to_extents, recvs_, "weft::copy recv boxes", algorithm);
    typename box_list<MemorySpace>::builder from, to, constant;
    for (const auto& c : g.local) {
      if (c.to.size() == 0) continue;
      // A run to a run (what a vector or a grid's first dimension keeps
      // when redistributed) is one memcpy; the rest one kernel.
      if (!c.from.repeats() && c.from.contiguous_in(g.from_extents) && c.to.contiguous_in(g.to_extents)) {
        local_runs_.push_back({c.from.first_element(g.from_extents), c.to.first_element(g.to_extents), c.to.size()});
        continue;
      }
      from.append(c.from);
      to.append(c.to);
    }
    for (const auto& b : g.constant) constant.append(b);
    local_from_ = from.to_device("weft::copy local sources");
    local_to_ = to.to_device("weft::copy local destinations");
    constant_boxes_ = constant.to_device("weft::copy constant boxes");
  }
  typed_copy_plan(const typed_copy_plan&) = delete;
  typed_copy_plan& operator=(const typed_copy_plan&) = delete;

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
  std::int64_t send_buffer_size() const { return sends_boxes_.elements; }
  std::int64_t recv_buffer_size() const { return recvs_boxes_.elements; }

  /// Enqueues on `exec` the pack of the buffered sends from `from`
  /// (kernel `<algorithm>:pack`).
  template <class Exec, class Buffer>
  void pack(const Exec& exec, const Buffer& buffer, const storage_view& from, const char* algorithm) const {
    if (sends_boxes_.units == 0) return;
    const auto& e = geometry_->from_extents;
    Kokkos::parallel_for(
        std::string(algorithm) + ":pack", range(exec, sends_boxes_.units),
        box_pack_functor<Buffer, storage_view, boxes_view>{buffer, from, sends_boxes_.boxes, e[1], e[2]});
  }
  /// Enqueues on `exec` the unpack of the buffered receives into `to`
  /// (kernel `<algorithm>:unpack`).
  template <class Exec, class Buffer>
  void unpack(const Exec& exec, const Buffer& buffer, const storage_view& to, const char* algorithm) const {
    if (recvs_boxes_.units == 0) return;
    const auto& e = geometry_->to_extents;
    Kokkos::parallel_for(
        std::string(algorithm) + ":unpack", range(exec, recvs_boxes_.units),
        box_unpack_functor<Buffer, storage_view, boxes_view>{buffer, to, recvs_boxes_.boxes, e[1], e[2]});
  }
  /// Enqueues on `exec` the copies within this rank, from `from` into `to`,
  /// and the constant boxes of `to` (with a constant): kernels
  /// `<algorithm>:copy` and `<algorithm>:constant`.
  template <class Exec>
  void copy_locally(const Exec& exec, const storage_view& from, const storage_view& to,
                    const std::optional<T>& constant, const char* algorithm) const {
    const auto& f = geometry_->from_extents;
    const auto& t = geometry_->to_extents;
    for (const auto& r : local_runs_) {
      using range_type = std::pair<std::int64_t, std::int64_t>;
      Kokkos::deep_copy(exec, Kokkos::subview(to, range_type(r.to, r.to + r.count)),
                        Kokkos::subview(from, range_type(r.from, r.from + r.count)));
    }
    if (local_to_.units > 0) {
      Kokkos::parallel_for(std::string(algorithm) + ":copy", range(exec, local_to_.units),
                           box_copy_functor<storage_view, boxes_view>{from, to, local_from_.boxes, local_to_.boxes,
                                                                      f[1], f[2], t[1], t[2]});
    }
    if (constant && constant_boxes_.units > 0) {
      Kokkos::parallel_for(
          std::string(algorithm) + ":constant", range(exec, constant_boxes_.units),
          box_set_functor<storage_view, boxes_view, T>{to, constant_boxes_.boxes, *constant, t[1], t[2]});
    }
  }

  const copy_plan& geometry() const { return *geometry_; }
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
  std::int64_t elements_copied_locally() const {
    std::int64_t n = local_to_.elements;
    for (const auto& r : local_runs_) n += r.count;
    return n;
  }
  /// Whether any ghost on face `side` (0 low, 1 high) of dimension d comes
  /// from another rank, i.e. is only valid after wait() (halo plans).
  bool remote_face(int d, int side) const {
    return geometry_->remote_faces.at(static_cast<std::size_t>(d))[static_cast<std::size_t>(side)];
  }

 private:
  static std::int64_t requests_of(const std::vector<message>& messages) {
    return messages.empty() ? 0 : messages.back().first_request + messages.back().pieces;
  }

  // The messages, in plan order, and the box list of the buffered ones.
  // Where MPI can use the memory, a message that is one contiguous run of
  // its storage goes in place, and in host memory one box of it too (MPI's
  // datatype engine copies device memory piece by piece, where weft's pack
  // kernel is one launch).
  box_list<MemorySpace> plan_messages(const std::vector<box_message>& planned,
                                      const std::array<std::int64_t, 3>& extents, std::vector<message>& messages,
                                      const char* label, const char* algorithm) {
    typename box_list<MemorySpace>::builder buffered;
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
        if (b.contiguous_in(extents)) {
          add({m.peer, count, b.first_element(extents), 0});
          continue;
        }
        if (subarrays_ && Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible &&
            fits_subarray(b, extents, piece_elements_)) {
          types_.push_back(box_subarray(b, extents, type_.get(), algorithm));
          add({m.peer, count, 0, 0, types_.back().get()});
          continue;
        }
      }
      add({m.peer, count, -1, buffered.elements});
      for (const auto& b : m.boxes) buffered.append(b);
    }
    return buffered.to_device(label);
  }

  std::shared_ptr<const copy_plan> geometry_;
  bool direct_, subarrays_;
  std::int64_t piece_elements_ = message_piece_elements<T>();
  mpi_element_type<T> type_{"weft::copy"};
  std::vector<mpi_owned_type> types_;  // the subarrays the messages name
  std::vector<message> sends_, recvs_;
  box_list<MemorySpace> sends_boxes_, recvs_boxes_, local_from_, local_to_, constant_boxes_;
  struct run_copy {
    std::int64_t from, to, count;
  };
  std::vector<run_copy> local_runs_;  // local copies from a run to a run
};

/// One user's movements under one plan (a field's halo exchanges, one
/// redistribution): the buffers (allocated once) and the requests of the
/// movement in flight.
template <class T, class MemorySpace>
class copy_exchanger {
 public:
  using plan_type = typed_copy_plan<T, MemorySpace>;
  using storage_view = typename plan_type::storage_view;
  using buffer_view = Kokkos::View<T*, MemorySpace>;
  using host_buffer_view = typename buffer_view::HostMirror;

  copy_exchanger(std::shared_ptr<const plan_type> plan, int tag)
      : plan_(std::move(plan)),
        tag_(tag),
        send_buffer_(Kokkos::view_alloc("weft::copy send buffer", Kokkos::WithoutInitializing),
                     static_cast<std::size_t>(plan_->send_buffer_size())),
        recv_buffer_(Kokkos::view_alloc("weft::copy recv buffer", Kokkos::WithoutInitializing),
                     static_cast<std::size_t>(plan_->recv_buffer_size())) {
    if (!plan_->direct()) {
      send_host_ = Kokkos::create_mirror(send_buffer_);
      recv_host_ = Kokkos::create_mirror(recv_buffer_);
    }
  }
  copy_exchanger(const copy_exchanger&) = delete;
  copy_exchanger& operator=(const copy_exchanger&) = delete;

  const plan_type& plan() const { return *plan_; }

  /// Packs `from` and posts the messages to other ranks, posts the receives
  /// into `to`, and enqueues on `exec` the copies within this rank and the
  /// constants. `exec` must be the instance that wrote `from`; it is fenced
  /// before MPI touches the memory. With an `agreement` (which must outlive
  /// the exchange), the receives are posted at once and the sends to a
  /// peer as soon as its words agree (test(), finish()); the receives from
  /// a peer that disagrees are cancelled.
  template <class Exec>
  void start(const Exec& exec, const storage_view& from, const storage_view& to, const std::optional<T>& constant,
             MPI_Comm comm, const char* algorithm, neighbour_agreement* agreement = nullptr) {
    const plan_type& plan = *plan_;
    plan.pack(exec, send_buffer_, from, algorithm);
    plan.copy_locally(exec, from, to, constant, algorithm);
    recv_requests_.assign(static_cast<std::size_t>(plan.recv_requests()), MPI_REQUEST_NULL);
    send_requests_.assign(static_cast<std::size_t>(plan.send_requests()), MPI_REQUEST_NULL);
    agreement_ = agreement;
    decided_.clear();
    if (plan.sends().empty() && plan.recvs().empty()) return;  // nothing for MPI: no fence either
    if (!plan.direct() && send_host_.extent(0) > 0) Kokkos::deep_copy(exec, send_host_, send_buffer_);
    exec.fence();
    comm_ = comm;
    from_ = from.data();
    T* recv = plan.direct() ? recv_buffer_.data() : recv_host_.data();
    for (const auto& m : plan.recvs()) {
      MPI_Request* request = &recv_requests_[static_cast<std::size_t>(m.first_request)];
      if (m.box != MPI_DATATYPE_NULL) {
        check_mpi(MPI_Irecv(to.data(), 1, m.box, m.peer, tag_, comm, request), "MPI_Irecv", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? to.data() + m.run_start : recv + m.buffer_offset;
      for_each_piece(m, [&](std::int64_t offset, int n, std::int64_t piece) {
        check_mpi(MPI_Irecv(at + offset, n, plan.element_type(), m.peer, tag_, comm, request + piece), "MPI_Irecv",
                  algorithm);
      });
    }
    if (!agreement_) {
      for (const int peer : peers_) post_sends(peer, algorithm);
    }
  }

  /// Waits for the messages and enqueues the unpack into `to` on `exec`:
  /// the data are ready for work enqueued on `exec` afterwards.
  template <class Exec>
  void finish(const Exec& exec, const storage_view& to, const char* algorithm) {
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
    plan_->unpack(exec, recv_buffer_, to, algorithm);
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
        check_mpi(MPI_Isend(from_, 1, m.box, m.peer, tag_, comm_, request), "MPI_Isend", algorithm);
        continue;
      }
      T* at = m.run_start >= 0 ? from_ + m.run_start : send + m.buffer_offset;
      for_each_piece(m, [&](std::int64_t offset, int n, std::int64_t piece) {
        check_mpi(MPI_Isend(at + offset, n, plan.element_type(), m.peer, tag_, comm_, request + piece), "MPI_Isend",
                  algorithm);
      });
    }
  }

  // For each peer whose words have arrived since the last call: send to it
  // if it agrees; otherwise it sends nothing here either, and the receives
  // from it are cancelled.
  void apply_decisions(const char* algorithm) {
    using verdict = neighbour_agreement::verdict;
    for (const int peer : peers_) {
      if (std::find(decided_.begin(), decided_.end(), peer) != decided_.end()) continue;
      const verdict v = agreement_->decision(peer);
      if (v == verdict::undecided) continue;
      decided_.push_back(peer);
      if (v == verdict::agreed) {
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
  int tag_;
  std::vector<int> peers_ = plan_->peers();
  buffer_view send_buffer_, recv_buffer_;
  host_buffer_view send_host_, recv_host_;
  std::vector<MPI_Request> recv_requests_, send_requests_;
  // The movement in flight: where its sends come from, and its agreement.
  MPI_Comm comm_ = MPI_COMM_NULL;
  T* from_ = nullptr;
  neighbour_agreement* agreement_ = nullptr;
  std::vector<int> decided_;  // peers whose decision this exchange has applied
};

}  // namespace weft::detail
