// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::vector_layout: how a distributed vector is split over the ranks of a
// communicator (a partition) and how wide its halo is, agreed by every rank
// once and shared by every vector laid out on it, with the halo plans built
// for it: a thousand vectors on one layout build each plan once.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../error.hpp"
#include "communicator.hpp"
#include "detail/halo_boxes.hpp"
#include "detail/mpi.hpp"
#include "halo.hpp"
#include "partition.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace weft {

template <class T, class MemorySpace>
class distributed_vector;

/// The layout of distributed vectors: rank r of comm owns the block
/// [p.offset(r), + p.local_size(r)), stored with `h.width` ghost cells on
/// each side. Immutable; copies share it. Building one is collective: the
/// partition and halo width are compared exactly across the ranks.
///   weft::vector_layout layout(comm, weft::partition::block(n, comm.size()), weft::halo{1});
///   weft::distributed_vector<double> u(layout), v(layout);
class vector_layout {
 public:
  /// Block partition of n elements, no halo; collective.
  vector_layout(const communicator& comm, std::int64_t n)
      : vector_layout(comm, weft::partition::block(n, comm.size()), halo{0}) {}
  /// The given partition (one block per rank of comm) and halo width;
  /// collective. Throws weft::error on every rank if the partition's blocks
  /// do not match the communicator's ranks, the width is negative, or any
  /// rank passed other values.
  vector_layout(const communicator& comm, const weft::partition& p, halo h = {})
      : vector_layout(comm, p, h, nullptr, "weft::vector_layout") {}

  const communicator& comm() const { return state_->comm; }
  const weft::partition& partition() const { return state_->partition; }
  int halo_width() const { return state_->halo; }
  std::int64_t global_size() const { return state_->partition.global_size(); }
  std::int64_t local_size() const { return state_->partition.local_size(state_->comm.rank()); }
  std::int64_t offset() const { return state_->partition.offset(state_->comm.rank()); }

  /// Whether `other` is this layout (a copy of it). The same answer on every rank.
  bool is(const vector_layout& other) const { return state_ == other.state_; }
  /// The same partition and halo width (whether or not built separately).
  bool same_layout(const vector_layout& other) const {
    return is(other) || (state_->partition == other.state_->partition && halo_width() == other.halo_width());
  }

 private:
  template <class T, class MemorySpace>
  friend class distributed_vector;
  friend struct detail::halo_access;

  struct state {
    communicator comm;
    weft::partition partition;
    int halo;
  };

  // With `check`, the arguments are recorded there for the caller to settle
  // (with its own checks, in one collective); without, settled here.
  vector_layout(const communicator& comm, const weft::partition& p, halo h, detail::collective_check* check,
                const char* algorithm)
      : state_(std::make_shared<const state>(state{comm, p, h.width})), cache_(std::make_shared<detail::plan_cache>()) {
    detail::collective_check own(algorithm);
    detail::collective_check& c = check ? *check : own;
    c.require(p.ranks() == comm.size(), algorithm, ": the partition has ", p.ranks(),
              " blocks but the communicator has ", comm.size(), " ranks");
    c.require(h.width >= 0, algorithm, ": negative halo width ", h.width);
    c.same("the halo width", h.width);
    // Every block boundary, as many on every rank (comm.size() + 1, padded
    // with -1 where a partition has too few blocks).
    std::vector<std::int64_t> boundaries(static_cast<std::size_t>(comm.size()) + 1, -1);
    std::copy_n(p.offsets().begin(), std::min(boundaries.size(), p.offsets().size()), boundaries.begin());
    c.same_each("the partition's block boundaries", boundaries);
    if (!check) own.settle(comm);
  }

  detail::copy_plan build_halo_geometry(const detail::halo_spec& spec) const {
    return detail::vector_halo_plan(state_->partition, state_->halo, state_->comm.rank(), spec.kind);
  }

  std::shared_ptr<const state> state_;
  std::shared_ptr<detail::plan_cache> cache_;
};

}  // namespace weft
