// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::distributed_grid: a 2-D or 3-D field split over a Cartesian grid of
// ranks (a weft::grid_layout), each rank's block stored with a halo of
// `halo` cells on every side, and the halo exchange (faces, edges and
// corners, or faces only, chosen per call).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../concepts.hpp"
#include "../detail/policy.hpp"
#include "../detail/profiling.hpp"
#include "../error.hpp"
#include "../stencil.hpp"
#include "communicator.hpp"
#include "detail/halo.hpp"
#include "grid_layout.hpp"
#include "halo.hpp"
#include "partition.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {
template <class T, int Rank, class MemorySpace>
struct grid_storage;
template <class T, class MemorySpace>
struct grid_storage<T, 2, MemorySpace> {
  using type = Kokkos::View<T**, Kokkos::LayoutRight, MemorySpace>;
};
template <class T, class MemorySpace>
struct grid_storage<T, 3, MemorySpace> {
  using type = Kokkos::View<T***, Kokkos::LayoutRight, MemorySpace>;
};
}  // namespace detail

/// A Rank-dimensional field (Rank 2 or 3) of global extents n over the ranks
/// of comm, arranged as a Cartesian process grid; dimension d is split in
/// blocks as partition::block does, or as given partitions say (blocks
/// weighted by rank speeds: weft::weighted_splits). Each rank stores its
/// block with a halo (LayoutRight, row-major). Copies share the data, as
/// Kokkos views do.
///   weft::distributed_grid<double, 2> u(comm, {4096, 4096}, {.halo = 1, .periodic = {true, true}});
template <class T, int Rank, class MemorySpace = Kokkos::DefaultExecutionSpace::memory_space>
class distributed_grid {
  static_assert(Rank == 2 || Rank == 3, "weft::distributed_grid: Rank must be 2 or 3.");
  // Rank as std::array's size type: the loops over dimensions index with it.
  static constexpr std::size_t dimensions_ = static_cast<std::size_t>(Rank);

 public:
  using value_type = T;
  using memory_space = MemorySpace;
  using storage_type = typename detail::grid_storage<T, Rank, MemorySpace>::type;
  using execution_space = typename storage_type::execution_space;
  /// What a stencil function on this grid receives, as a type that can be
  /// named (see weft::neighbourhood): `KOKKOS_LAMBDA(const G::neighbourhood<weft::constant<T>>& nb)`.
  template <class Boundary>
  using neighbourhood = weft::neighbourhood<storage_type, Boundary>;
  using extents_type = std::array<std::int64_t, dimensions_>;
  static constexpr int rank = Rank;

  /// Collective over comm: builds the Cartesian communicator and even
  /// blocks (partition::block along each dimension). Every rank must pass
  /// the same extents and options: they are compared exactly before
  /// anything else. Throws weft::error on every rank for negative or
  /// overflowing extents, a process grid that does not fit the
  /// communicator, extents smaller than the process grid, a halo wider than
  /// a block, or an allocation that fails on any rank.
  distributed_grid(const communicator& comm, const extents_type& n, const grid_options& opt = {})
      : distributed_grid(grid_layout<Rank>(comm, n, opt)) {}

  /// Collective over comm: dimension d split as splits[d] says, e.g. in
  /// blocks that follow rank speeds (weft::weighted_splits). The global
  /// extent along d is splits[d].global_size() and the process grid has
  /// splits[d].ranks() ranks along d (their product must be comm.size();
  /// non-zero entries of opt.dims must match). Rank (c0, c1[, c2]) of the
  /// process grid, rank ((c0 * dims1) + c1) * dims2 + c2 of comm, owns block
  /// c0 of splits[0], c1 of splits[1], ... Every rank must pass the same
  /// splits and options: every block boundary is compared exactly before
  /// anything else. Every block must hold at least one cell, and at least
  /// `halo` cells along a dimension of more than one rank or a periodic
  /// one (the halo reaches no further than the neighbouring block).
  /// Throws weft::error on every rank otherwise, or if an allocation fails
  /// on any rank.
  ///   weft::distributed_grid<double, 2> u(comm, weft::weighted_splits<2>({n, n}, {2, 2}, speeds, 1));
  distributed_grid(const communicator& comm, const std::array<partition, dimensions_>& splits,
                   const grid_options& opt = {})
      : distributed_grid(grid_layout<Rank>(comm, splits, opt)) {}

  /// Collective over layout.comm(): a grid on a layout built once and
  /// shared (weft::grid_layout), with its communicator: no new
  /// communicator, and no comparison of arguments beyond whether the
  /// allocation succeeded on every rank. Throws weft::error on every rank
  /// if an allocation fails on any rank.
  ///   weft::grid_layout<2> layout(comm, {n, n}, {.halo = 1});
  ///   weft::distributed_grid<double, 2> u(layout), v(layout);
  explicit distributed_grid(const grid_layout<Rank>& layout) : layout_(layout) {
    detail::collective_check check("weft::distributed_grid");
    check.attempt([&] { storage_ = allocate(); });
    check.attempt([&] { halo_state_ = std::make_shared<detail::field_halo_state<T, MemorySpace>>(); });
    check.settle(layout_.comm());
  }

  /// This rank's block, without halo: local()(i, j) is global point
  /// (offset(0) + i, offset(1) + j).
  auto local() const {
    const auto h = layout_.halo_width();
    auto range = [&](int d) { return std::pair<std::int64_t, std::int64_t>(h, h + layout_.local_extent(d)); };
    if constexpr (Rank == 2) return Kokkos::subview(storage_, range(0), range(1));
    else return Kokkos::subview(storage_, range(0), range(1), range(2));
  }
  /// The former name of local().
  [[deprecated("use local() (one vocabulary for vectors and grids)")]] auto interior() const { return local(); }
  /// The block with its halo: local point (i, j) is with_halo()(i + h, j + h).
  const storage_type& with_halo() const { return storage_; }

  /// The layout this grid is on: grids built on it share its communicator.
  const grid_layout<Rank>& layout() const { return layout_; }
  std::int64_t global_extent(int d) const { return layout_.global_extent(d); }
  std::int64_t local_extent(int d) const { return layout_.local_extent(d); }
  std::int64_t offset(int d) const { return layout_.offset(d); }
  /// This rank's position in the process grid.
  const std::array<int, dimensions_>& coords() const { return layout_.coords(); }
  /// The process grid.
  const std::array<int, dimensions_>& dims() const { return layout_.dims(); }
  int halo_width() const { return layout_.halo_width(); }
  const grid_options& options() const { return layout_.options(); }
  /// The Cartesian communicator (a duplicate: weft's messages stay apart;
  /// the layout's, shared by every grid on it).
  const communicator& comm() const { return layout_.comm(); }
  /// How dimension d is split over the process grid.
  const partition& split(int d) const { return layout_.split(d); }
  /// Every dimension's split (what the constructor from splits and
  /// redistribute take).
  const std::array<partition, dimensions_>& splits() const { return layout_.splits(); }

  /// Two grids have the same global extents, process grid, block
  /// boundaries and halo.
  bool same_layout(const distributed_grid& other) const { return layout_.same_layout(other.layout_); }

  /// Fills the halo from the neighbouring blocks: faces, edges and corners
  /// (stencil_shape::box), or faces only (stencil_shape::cross: fewer
  /// messages, enough for stencils that read along the axes); without a
  /// shape, grid_options::shape says. At the outer faces of non-periodic
  /// dimensions, `bc` decides: weft::constant{v} or weft::clamp{}
  /// (weft::periodic{} only for a grid periodic in every dimension).
  /// Collective; the halo is ready for work enqueued on `exec` afterwards.
  template <weft::execution_space Exec, boundary Boundary>
  void exchange_halo(const Exec& exec, const Boundary& bc, stencil_shape shape) const {
    const detail::profiling_region region("weft::exchange_halo");
    start_halo_exchange(exec, bc, shape).wait();
  }
  template <weft::execution_space Exec, boundary Boundary>
  void exchange_halo(const Exec& exec, const Boundary& bc) const {
    exchange_halo(exec, bc, options().shape);
  }
  template <boundary Boundary>
  void exchange_halo(const Boundary& bc, stencil_shape shape) const {
    exchange_halo(execution_space{}, bc, shape);
  }
  template <boundary Boundary>
  void exchange_halo(const Boundary& bc) const {
    exchange_halo(execution_space{}, bc, options().shape);
  }

  /// Split-phase exchange_halo: posts the messages and returns; wait()
  /// completes it. Work that reads no halo may run in between. Collective:
  /// every rank must pass the same boundary and shape (checked, unless the
  /// communicator's argument_checks are trusted), and only one exchange of
  /// a grid may be in flight at a time.
  /// As with MPI_Isend, the owned elements must not be written before
  /// wait(): boxes of them are sent from where they lie.
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange start_halo_exchange(const Exec& exec, const Boundary& bc, stencil_shape shape) const {
    const detail::profiling_region region("weft::start_halo_exchange");
    return detail::halo_access::start(*this, exec, bc, shape);
  }
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange start_halo_exchange(const Exec& exec, const Boundary& bc) const {
    return start_halo_exchange(exec, bc, options().shape);
  }
  template <boundary Boundary>
  halo_exchange start_halo_exchange(const Boundary& bc, stencil_shape shape) const {
    return start_halo_exchange(execution_space{}, bc, shape);
  }
  template <boundary Boundary>
  halo_exchange start_halo_exchange(const Boundary& bc) const {
    return start_halo_exchange(execution_space{}, bc, options().shape);
  }

  /// What an exchange with `bc` (and `shape`, else grid_options::shape)
  /// moves; its plan is built if needed, on this rank only: not collective.
  template <boundary Boundary>
  halo_description describe_halo(const Boundary&, stencil_shape shape) const {
    return detail::halo_access::describe<distributed_grid, Boundary>(*this, shape);
  }
  template <boundary Boundary>
  halo_description describe_halo(const Boundary& bc) const {
    return describe_halo(bc, options().shape);
  }

  /// Whether this and `other` are the same grid (copies of one another).
  /// The same answer on every rank.
  bool same_data(const distributed_grid& other) const { return halo_state_ == other.halo_state_; }
  template <class U, int R, class M>
  bool same_data(const distributed_grid<U, R, M>&) const {
    return false;
  }

 private:
  friend struct detail::halo_access;
  static constexpr const char* halo_noun = "grid";
  static constexpr stencil_shape halo_shape(stencil_shape shape) { return shape; }
  template <class Boundary>
  void check_halo_boundary(detail::collective_check& check, const Boundary&) const {
    if constexpr (std::is_same_v<Boundary, periodic>) {
      for (std::size_t d = 0; d < dimensions_; ++d)
        check.require(layout_.options().periodic[d],
                      "weft::start_halo_exchange: the grid is not periodic in dimension ", d,
                      "; set grid_options::periodic, or pass weft::constant or weft::clamp");
    }
  }
  typename detail::typed_copy_plan<T, MemorySpace>::storage_view halo_storage() const {
    return typename detail::typed_copy_plan<T, MemorySpace>::storage_view(storage_.data(), storage_.span());
  }

  storage_type allocate() const {
    const std::int64_t h = layout_.halo_width();
    std::int64_t cells = 1;
    for (int d = 0; d < Rank; ++d) {
      const std::int64_t m = layout_.local_extent(d);
      detail::require(m <= INT64_MAX - 2 * h && m + 2 * h <= INT64_MAX / cells,
                      "weft::distributed_grid: the block with its halo has more than 2^63 cells");
      cells *= m + 2 * h;
    }
    auto extent = [&](int d) { return static_cast<std::size_t>(layout_.local_extent(d) + 2 * h); };
    if constexpr (Rank == 2) return storage_type("weft::distributed_grid", extent(0), extent(1));
    else return storage_type("weft::distributed_grid", extent(0), extent(1), extent(2));
  }

  grid_layout<Rank> layout_;
  storage_type storage_;
  std::shared_ptr<detail::field_halo_state<T, MemorySpace>> halo_state_;
};

namespace detail {
template <class T, int R, class M>
struct is_distributed_grid<distributed_grid<T, R, M>> : std::true_type {};
}  // namespace detail

}  // namespace weft
