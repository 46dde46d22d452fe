// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::distributed_grid: a 2-D or 3-D field split over a Cartesian grid of
// ranks, each rank's block stored with a halo of `halo` cells on every side,
// and the halo exchange (faces, edges and corners, or faces only).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../concepts.hpp"
#include "../detail/policy.hpp"
#include "../error.hpp"
#include "../stencil.hpp"
#include "communicator.hpp"
#include "detail/halo.hpp"
#include "detail/mpi.hpp"
#include "grid_layout.hpp"
#include "partition.hpp"
#include "vector.hpp"  // halo_exchange

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
  /// The halo exchange plan of this type (see halo_plan_for).
  using halo_plan_type = detail::halo_plan<T, MemorySpace>;
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
    check.attempt([&] { plans_ = std::make_shared<detail::halo_plans<T, MemorySpace>>(); });
    check.settle(layout_.comm());
  }

  /// This rank's block, without halo: interior()(i, j) is global point
  /// (offset(0) + i, offset(1) + j).
  auto interior() const {
    const auto h = layout_.halo_width();
    auto range = [&](int d) { return std::pair<std::int64_t, std::int64_t>(h, h + layout_.local_extent(d)); };
    if constexpr (Rank == 2) return Kokkos::subview(storage_, range(0), range(1));
    else return Kokkos::subview(storage_, range(0), range(1), range(2));
  }
  /// The block with its halo: interior point (i, j) is with_halo()(i + h, j + h).
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

  /// Fills the halo from the neighbouring blocks (faces, edges and corners;
  /// faces only with grid_options::shape = cross). At the outer faces of
  /// non-periodic dimensions, `bc` decides: weft::constant{v} or weft::clamp{}
  /// (weft::periodic{} only for a grid periodic in every dimension).
  /// Collective; the halo is ready for work enqueued on `exec` afterwards.
  template <weft::execution_space Exec, boundary Boundary>
  void exchange_halo(const Exec& exec, const Boundary& bc) const {
    start_halo_exchange(exec, bc).wait();
  }
  template <boundary Boundary>
  void exchange_halo(const Boundary& bc) const {
    exchange_halo(execution_space{}, bc);
  }

  /// Split-phase exchange_halo: posts the messages and returns; wait()
  /// completes it. Work that reads no halo may run in between. Collective:
  /// every rank must pass the same boundary (checked, unless the
  /// communicator's argument_checks are trusted), and only one exchange of
  /// a grid may be in flight at a time.
  /// As with MPI_Isend, the owned elements must not be written before
  /// wait(): contiguous runs of them are sent from where they lie.
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange start_halo_exchange(const Exec& exec, const Boundary& bc) const {
    const char* algorithm = "weft::start_halo_exchange";
    detail::collective_check check(algorithm);
    auto* plan = prepare_halo_exchange(check, bc, true);
    // After the first settled exchange, the check goes to the neighbours
    // only (see detail::neighbour_agreement); the first settles it across
    // every rank, and learns the neighbours.
    if (auto neighbours = detail::neighbour_check_for(layout_.comm(), *plans_, check, algorithm)) {
      detail::agree_on_boundary_value<T>(layout_.comm(), bc, algorithm);
      if (check.failed_here()) neighbours->conclude();  // throws: no data moves to or from this rank
      return begin_halo_exchange(exec, bc, *plan, std::move(neighbours));
    }
    check.settle_arguments(layout_.comm());
    detail::agree_on_boundary_value<T>(layout_.comm(), bc, algorithm);
    learn_halo_peers(*plan);
    return begin_halo_exchange(exec, bc, *plan);
  }
  template <boundary Boundary>
  halo_exchange start_halo_exchange(const Boundary& bc) const {
    return start_halo_exchange(execution_space{}, bc);
  }

  /// Records in `check` what must hold on every rank for an exchange with
  /// `bc`, and builds its plan (if `build`; a failure there is recorded
  /// too). The distributed stencils settle this with their own checks.
  template <boundary Boundary>
  detail::halo_plan<T, MemorySpace>* prepare_halo_exchange(detail::collective_check& check, const Boundary& bc,
                                                           bool build) const {
    static_assert(!std::is_same_v<Boundary, interior_only>,
                  "weft::start_halo_exchange: interior_only is a stencil option, not a halo boundary; "
                  "use constant or clamp (periodicity is a grid option).");
    constexpr auto kind = kind_of<Boundary>();
    detail::record_boundary<T>(check, kind, bc);
    if constexpr (std::is_same_v<Boundary, periodic>) {
      for (std::size_t d = 0; d < dimensions_; ++d)
        check.require(layout_.options().periodic[d],
                      "weft::start_halo_exchange: the grid is not periodic in dimension ", d,
                      "; set grid_options::periodic, or pass weft::constant or weft::clamp");
    }
    check.require(!plans_->in_flight, "weft::start_halo_exchange: a halo exchange of this grid is already in "
                                      "flight; wait() for it first");
    detail::halo_plan<T, MemorySpace>* plan = nullptr;
    if (build) check.attempt([&] { plan = &plan_for(kind); });
    return plan;
  }

  /// Starts an exchange prepared and settled as above.
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange begin_halo_exchange(const Exec& exec, const Boundary& bc, detail::halo_plan<T, MemorySpace>& plan,
                                    std::shared_ptr<detail::neighbour_check> neighbours = nullptr) const {
    std::optional<T> constant;
    if constexpr (requires { bc.value; }) constant = static_cast<T>(bc.value);
    typename detail::halo_plan<T, MemorySpace>::storage_view flat(storage_.data(), storage_.span());
    return detail::begin_exchange(*this, exec, *plans_, plan, flat, constant, layout_.comm().native(),
                                  std::move(neighbours));
  }

  /// The ranks this object's halo exchanges talk to, once an exchange of
  /// it has been settled across every rank (detail::neighbour_check_for).
  const detail::halo_plans<T, MemorySpace>& halo_state() const { return *plans_; }
  /// After an exchange settled across every rank: its peers are this
  /// object's neighbours from now on.
  /// A grid's peers are the same under every kind (kinds differ only at
  /// outer faces of non-periodic dimensions, where no message goes).
  void learn_halo_peers(const detail::halo_plan<T, MemorySpace>& plan) const {
    if (!plans_->peers) plans_->peers = plan.peers();
  }

  /// Whether this and `other` are the same grid (copies of one another).
  /// The same answer on every rank.
  bool same_data(const distributed_grid& other) const { return plans_ == other.plans_; }
  template <class U, int R, class M>
  bool same_data(const distributed_grid<U, R, M>&) const {
    return false;
  }

  /// The plan for a boundary kind, e.g. to report its message count.
  template <boundary Boundary>
  const detail::halo_plan<T, MemorySpace>& halo_plan_for(const Boundary&) const {
    return plan_for(kind_of<Boundary>());
  }

 private:
  using boundary_kind = detail::boundary_kind;

  template <class Boundary>
  static constexpr boundary_kind kind_of() {
    if constexpr (std::is_same_v<Boundary, periodic>) return boundary_kind::periodic;
    else if constexpr (std::is_same_v<Boundary, clamp>) return boundary_kind::clamp;
    else return boundary_kind::constant;
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

  detail::halo_plan<T, MemorySpace>& plan_for(boundary_kind kind) const {
    auto& slot = plans_->plans[static_cast<int>(kind)];
    if (!slot) slot.emplace(build_lists(kind), layout_.comm().rank(), "weft::start_halo_exchange");
    return *slot;
  }

  int rank_of(const std::array<int, dimensions_>& c) const {
    int r = 0;
    for (std::size_t d = 0; d < dimensions_; ++d)
      r = r * layout_.dims()[d] + c[d];  // MPI's Cartesian ranks are row-major
    return r;
  }

  // The halo cells of the rank at coordinates c, in one fixed order (row-major
  // over its halo box): calls visit(storage element on that rank, source
  // global point or nullopt for "the boundary constant", owner rank, storage
  // coordinates). Walks rows of the last dimension and, inside the block,
  // only their two ends: the cost is the halo's size, not the block's.
  template <class Visit>
  void for_each_halo_cell(const std::array<int, dimensions_>& c, boundary_kind kind, Visit visit) const {
    const std::int64_t h = layout_.options().halo;
    std::array<std::int64_t, dimensions_> m, off, e;
    for (std::size_t d = 0; d < dimensions_; ++d) {
      m[d] = layout_.splits()[d].local_size(c[d]);
      off[d] = layout_.splits()[d].offset(c[d]);
      e[d] = m[d] + 2 * h;
    }
    constexpr std::size_t last = dimensions_ - 1;
    auto cell = [&](const std::array<std::int64_t, dimensions_>& s, std::int64_t flat) {
      std::array<std::int64_t, dimensions_> source;
      bool constant = false;
      for (std::size_t d = 0; d < dimensions_; ++d) {
        std::int64_t g = off[d] + s[d] - h;
        if (g < 0 || g >= layout_.extents()[d]) {
          if (layout_.options().periodic[d])
            g = ((g % layout_.extents()[d]) + layout_.extents()[d]) % layout_.extents()[d];
          else if (kind == boundary_kind::clamp)
            g = g < 0 ? 0 : layout_.extents()[d] - 1;
          else constant = true;
        }
        source[d] = g;
      }
      if (constant) {
        visit(flat, std::optional<std::array<std::int64_t, dimensions_>>{}, -1, s);
        return;
      }
      std::array<int, dimensions_> owner;
      for (std::size_t d = 0; d < dimensions_; ++d) owner[d] = layout_.splits()[d].owner(source[d]);
      visit(flat, std::optional<std::array<std::int64_t, dimensions_>>{source}, rank_of(owner), s);
    };
    const std::int64_t rows = Rank == 2 ? e[0] : e[0] * e[1];
    std::array<std::int64_t, dimensions_> s{};
    for (std::int64_t row = 0; row < rows; ++row) {
      std::int64_t rest = row;
      int outside = 0;  // leading dimensions in which the row lies outside the block
      for (std::size_t d = last; d-- > 0;) {
        s[d] = rest % e[d];
        rest /= e[d];
        outside += s[d] < h || s[d] >= h + m[d];
      }
      auto run = [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t k = begin; k < end; ++k) {
          s[last] = k;
          cell(s, row * e[last] + k);
        }
      };
      if (outside == 0) {  // a row through the block: its two ends
        run(0, h);
        run(h + m[last], e[last]);
      } else if (layout_.options().shape == stencil_shape::box) {
        run(0, e[last]);
      } else if (outside == 1) {  // face cells only
        run(h, h + m[last]);
      }
    }
  }

  // Who sends what to whom. The halo never reaches past the neighbouring
  // blocks (halo <= every block along a dimension of several ranks or a
  // periodic one, whatever the split: check_layout), so only the ranks
  // within one step in the process grid can need this rank's cells.
  //
  // Each peer's cells are ordered by the region of the receiver's halo they
  // fill (its faces, edges and corners, each a box: the region code says,
  // per dimension, below, inside or above the block), then in the order
  // above, and a message ends where the region changes. Both sides of a
  // pair derive the same order and breaks from the receiver's halo, so
  // each message is one box in the storage of both, which MPI can send and
  // receive in place (halo_plan), even where one rank supplies both faces
  // of a dimension.
  detail::halo_lists build_lists(boundary_kind kind) const {
    detail::halo_lists lists;
    const int me = layout_.comm().rank();
    const std::int64_t h = layout_.options().halo;
    lists.remote_faces.assign(dimensions_, {false, false});
    for (std::size_t d = 0; d < dimensions_; ++d) lists.storage_extents.push_back(layout_.local_extents()[d] + 2 * h);
    // The region of a halo cell at storage coordinates s of a block of
    // extents m: a base-3 number, per dimension 0 below, 1 inside, 2 above.
    auto region = [h](const auto& s, const auto& m) {
      int code = 0;
      for (std::size_t d = 0; d < dimensions_; ++d) code = code * 3 + (s[d] < h ? 0 : s[d] < h + m[d] ? 1 : 2);
      return code;
    };
    using entry = std::pair<int, std::int64_t>;  // region, storage element
    std::map<int, std::vector<entry>> recv, send;
    for_each_halo_cell(layout_.coords(), kind, [&](std::int64_t slot, const auto& source, int owner, const auto& s) {
      if (!source) {
        lists.constant.push_back(slot);
        return;
      }
      recv[owner].push_back({region(s, layout_.local_extents()), slot});
      // A face cell (outside the block in one dimension only) from another
      // rank. Edge and corner cells need no entry: one from another rank
      // differs from this one in the coordinate of a dimension whose face
      // cells come from that rank too.
      int outside = 0;
      std::size_t dimension = 0;
      for (std::size_t d = 0; d < dimensions_; ++d)
        if (s[d] < h || s[d] >= h + layout_.local_extents()[d]) {
          ++outside;
          dimension = d;
        }
      if (outside == 1 && owner != me) lists.remote_faces[dimension][s[dimension] < h ? 0 : 1] = true;
    });
    std::set<int> visited;
    const int neighbours = Rank == 2 ? 9 : 27;
    for (int k = 0; k < neighbours; ++k) {
      std::array<int, dimensions_> c;
      bool valid = true;
      int code = k;
      for (std::size_t d = dimensions_; d-- > 0;) {
        c[d] = layout_.coords()[d] + code % 3 - 1;
        code /= 3;
        if (c[d] < 0 || c[d] >= layout_.dims()[d]) {
          if (layout_.options().periodic[d])
            c[d] = (c[d] + layout_.dims()[d]) % layout_.dims()[d];
          else valid = false;
        }
      }
      if (!valid || !visited.insert(rank_of(c)).second) continue;
      const int r = rank_of(c);
      extents_type m;
      for (std::size_t d = 0; d < dimensions_; ++d) m[d] = layout_.splits()[d].local_size(c[d]);
      for_each_halo_cell(c, kind, [&](std::int64_t, const auto& source, int owner, const auto& s) {
        if (!source || owner != me) return;
        std::int64_t local = 0;  // storage element on this rank
        for (std::size_t d = 0; d < dimensions_; ++d)
          local = local * (layout_.local_extents()[d] + 2 * h) + ((*source)[d] - layout_.offsets()[d] + h);
        send[r].push_back({region(s, m), local});
      });
    }
    auto order = [](std::map<int, std::vector<entry>>& by_peer, std::map<int, std::vector<std::int64_t>>& out,
                    std::map<int, std::vector<std::int64_t>>& breaks) {
      for (auto& [peer, entries] : by_peer) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const entry& a, const entry& b) { return a.first < b.first; });
        auto& list = out[peer];
        for (std::size_t i = 0; i < entries.size(); ++i) {
          if (i > 0 && entries[i].first != entries[i - 1].first)
            breaks[peer].push_back(static_cast<std::int64_t>(i));
          list.push_back(entries[i].second);
        }
      }
    };
    order(recv, lists.recv, lists.recv_breaks);
    order(send, lists.send, lists.send_breaks);
    return lists;
  }

  grid_layout<Rank> layout_;
  storage_type storage_;
  std::shared_ptr<detail::halo_plans<T, MemorySpace>> plans_;
};

namespace detail {
template <class X>
struct is_distributed_grid : std::false_type {};
template <class T, int R, class M>
struct is_distributed_grid<distributed_grid<T, R, M>> : std::true_type {};
}  // namespace detail

/// A weft::distributed_grid of any value type, rank and memory space.
template <class X>
concept grid = detail::is_distributed_grid<std::remove_cvref_t<X>>::value;

}  // namespace weft
