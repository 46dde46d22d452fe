// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// What a movement of data between the blocks of a layout is, before any
// value type or memory space: a list of boxes per message, in the order
// both sides of a pair derive alike, the boxes a rank copies within its own
// storage, and the boxes set to a constant. Built once per layout and
// specification and cached by the layout (plan_cache), so every field on
// the layout shares it; the typed engine (halo.hpp) adds MPI datatypes,
// pack kernels and buffers.

#include "../../stencil.hpp"  // stencil_shape

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <typeindex>
#include <typeinfo>
#include <vector>

namespace weft::detail {

/// A box of a row-major storage of up to three dimensions, in storage
/// coordinates padded in front to three (a 1-D storage of n elements has
/// extents {1, 1, n}). A step of 0 along a dimension repeats its first
/// plane (the clamp boundary's ghosts all read the edge cell).
struct storage_box {
  std::array<std::int64_t, 3> lo{0, 0, 0}, extent{1, 1, 1}, step{1, 1, 1};

  std::int64_t size() const { return extent[0] * extent[1] * extent[2]; }
  /// Whether some element appears more than once (a step 0 over more than one plane).
  bool repeats() const {
    for (std::size_t d = 0; d < 3; ++d)
      if (step[d] == 0 && extent[d] > 1) return true;
    return false;
  }
  /// Whether its elements are one contiguous run of a storage of `extents`.
  bool contiguous_in(const std::array<std::int64_t, 3>& extents) const {
    if (repeats()) return false;
    // Row-major: below the first dimension of extent > 1, every dimension
    // must be whole.
    std::size_t first = 0;
    while (first < 2 && extent[first] == 1) ++first;
    for (std::size_t d = first + 1; d < 3; ++d)
      if (extent[d] != extents[d]) return false;
    return true;
  }
  /// The storage element of its first element (row-major flat index).
  std::int64_t first_element(const std::array<std::int64_t, 3>& extents) const {
    return (lo[0] * extents[1] + lo[1]) * extents[2] + lo[2];
  }
  friend bool operator==(const storage_box&, const storage_box&) = default;
};

/// One message to or from a peer: its boxes, in order.
struct box_message {
  int peer = -1;
  std::vector<storage_box> boxes;

  std::int64_t count() const {
    std::int64_t n = 0;
    for (const auto& b : boxes) n += b.size();
    return n;
  }
};

/// A copy within one rank's storage: `from` and `to` have the same size and
/// are walked in the same (row-major) order.
struct box_copy {
  storage_box from, to;
};

/// A movement of data for one rank: its messages to and from other ranks
/// (ascending peer, then the order both sides derive), its own copies and
/// its constant boxes. The sends and the copies' sources are boxes of a
/// storage of `from_extents`; the receives, the copies' destinations and
/// the constant boxes, of a storage of `to_extents` (the same storage, for
/// a halo exchange).
struct copy_plan {
  std::array<std::int64_t, 3> from_extents{1, 1, 1}, to_extents{1, 1, 1};
  std::vector<box_message> sends, recvs;
  std::vector<box_copy> local;
  std::vector<storage_box> constant;
  /// Per dimension of the field, {low face, high face}: whether any face
  /// ghost there comes from another rank (work near a face without any can
  /// run before the exchange completes).
  std::vector<std::array<bool, 2>> remote_faces;

  /// The ranks it exchanges messages with, ascending.
  std::vector<int> peers() const {
    std::vector<int> out;
    for (const auto* messages : {&sends, &recvs})
      for (const auto& m : *messages) out.push_back(m.peer);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

/// Appends element e of a 1-D storage to a run of boxes, extending the last
/// box when e continues it (the next element, or its element again), and
/// returns whether it did.
inline bool extend_run(storage_box& b, std::int64_t e) {
  const std::int64_t n = b.extent[2];
  if (n == 1) {
    if (e != b.lo[2] + 1 && e != b.lo[2]) return false;
    b.step[2] = e - b.lo[2];
  } else if (e != b.lo[2] + b.step[2] * n) {
    return false;
  }
  ++b.extent[2];
  return true;
}
inline storage_box element_box(std::int64_t e) { return storage_box{{0, 0, e}, {1, 1, 1}, {1, 1, 1}}; }
inline void append_run(std::vector<storage_box>& boxes, std::int64_t e) {
  if (boxes.empty() || !extend_run(boxes.back(), e)) boxes.push_back(element_box(e));
}
/// The same for a copy: both sides must continue together.
inline void append_copy(std::vector<box_copy>& copies, std::int64_t from, std::int64_t to) {
  if (!copies.empty()) {
    box_copy c = copies.back();
    if (extend_run(c.from, from) && extend_run(c.to, to)) {
      copies.back() = c;
      return;
    }
  }
  copies.push_back({element_box(from), element_box(to)});
}

/// What a halo plan depends on beyond its layout: the boundary kind (each
/// fills the outer ghosts differently) and which cells it fills.
enum class boundary_kind { periodic, constant, clamp };
struct halo_spec {
  boundary_kind kind = boundary_kind::constant;
  stencil_shape shape = stencil_shape::box;
  friend bool operator==(const halo_spec&, const halo_spec&) = default;
};

/// The halo specifications whose neighbours together are every neighbour
/// any halo exchange on a layout talks to: the box shape (a cross talks to
/// fewer) under every boundary kind (periodic adds the wrap-around; a
/// clamped corner may come from a face neighbour).
inline std::vector<halo_spec> peer_halo_specs() {
  return {{boundary_kind::periodic, stencil_shape::box},
          {boundary_kind::constant, stencil_shape::box},
          {boundary_kind::clamp, stencil_shape::box}};
}

/// What a cached plan depends on beyond its layout, as exact values (never
/// a hash): a kind of plan, then its words (a halo_spec's boundary and
/// shape; a redistribution's other layout, every block boundary of it).
struct plan_key {
  enum kind_type : std::int64_t { halo = 0, redistribution = 1, gather = 2 };
  std::vector<std::int64_t> words;

  plan_key(kind_type kind, std::vector<std::int64_t> rest) : words(std::move(rest)) {
    words.insert(words.begin(), kind);
  }
  plan_key(const halo_spec& spec)  // NOLINT(google-explicit-constructor): a halo plan's key is its spec
      : plan_key(halo, {static_cast<std::int64_t>(spec.kind), static_cast<std::int64_t>(spec.shape)}) {}
  bool bounded() const { return words[0] != halo; }
  auto operator<=>(const plan_key&) const = default;
};

/// The plans of one layout, built on first use and shared by every field on
/// it: the geometry per key, and the typed plans (MPI datatypes, device box
/// lists) per key, value type and memory space. Halo plans are few (a
/// boundary kind and a shape each) and kept; the plans of movements to
/// other layouts (redistributions, gathers) are kept for the last
/// `movements_kept` keys only, so a load balancer that redistributes to a
/// new layout every few steps holds a bounded cache. Not thread safe, as
/// MPI calls on one communicator from several threads are not.
class plan_cache {
 public:
  static constexpr std::size_t movements_kept = 4;

  /// The plan of type Plan for `key`, made by build() (which returns a
  /// std::shared_ptr<const Plan>) the first time.
  template <class Plan, class Build>
  std::shared_ptr<const Plan> get(const plan_key& key, Build build) {
    const entry k{key, std::type_index(typeid(Plan))};
    auto& slot = plans_[k];
    if (!slot) {
      slot = build();
      ++built_;
      if (key.bounded()) forget_old_movements(key);
    }
    return std::static_pointer_cast<const Plan>(slot);
  }
  /// Plans built so far (geometries and typed plans together).
  std::int64_t built() const { return built_; }
  /// Plans held now.
  std::int64_t held() const { return static_cast<std::int64_t>(plans_.size()); }

 private:
  struct entry {
    plan_key key;
    std::type_index plan;
    bool operator<(const entry& o) const { return std::tie(key, plan) < std::tie(o.key, o.plan); }
  };
  // Keeps the plans of the last movements_kept movement keys, `key` the newest.
  void forget_old_movements(const plan_key& key) {
    auto at = std::find(recent_.begin(), recent_.end(), key);
    if (at != recent_.end()) recent_.erase(at);
    recent_.push_back(key);
    if (recent_.size() <= movements_kept) return;
    const plan_key oldest = recent_.front();
    recent_.erase(recent_.begin());
    std::erase_if(plans_, [&](const auto& p) { return p.first.key == oldest; });
  }
  std::map<entry, std::shared_ptr<const void>> plans_;
  std::vector<plan_key> recent_;
  std::int64_t built_ = 0;
};

}  // namespace weft::detail
