// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::grid_layout: how a 2-D or 3-D grid is split over a Cartesian grid of
// ranks (extents, splits, process grid, halo width, periodicity), agreed by
// every rank once and shared by every field laid out on it, with its
// Cartesian communicator: a thousand grids on one layout make one
// communicator, not a thousand.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../error.hpp"
#include "../stencil.hpp"  // stencil_shape
#include "communicator.hpp"
#include "detail/halo_boxes.hpp"
#include "detail/mpi.hpp"
#include "halo.hpp"
#include "partition.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace weft {

/// How a distributed grid is laid out (one struct for 2-D and 3-D; entries
/// past the grid's rank are ignored).
struct grid_options {
  /// Halo width: ghost cells on every side of each rank's block.
  int halo = 1;
  /// Per dimension: wrap around (the halo exchange then ignores the boundary
  /// passed to it in that dimension).
  std::array<bool, 3> periodic{};
  /// The process grid; 0 entries are chosen by MPI_Dims_create.
  std::array<int, 3> dims{};
  /// Which halo cells exchange_halo fills when not told: faces, edges and
  /// corners (box, the default: right for every stencil, 9- and 27-point
  /// ones included), or faces only (cross: enough for 5- and 7-point
  /// stencils, fewer messages). exchange_halo takes a shape per call, and
  /// the distributed stencils fill what their reach reads, whatever this says.
  stencil_shape shape = stencil_shape::box;
};

/// The layout of Rank-dimensional grids (Rank 2 or 3) of global extents n
/// over the ranks of a communicator, arranged as a Cartesian process grid;
/// dimension d split in blocks as partition::block does, or as given
/// partitions say (blocks weighted by rank speeds: weft::weighted_splits).
/// Immutable; copies share it. Building one is collective: the ranks'
/// arguments are compared exactly, and the Cartesian communicator (a
/// duplicate, so weft's messages stay apart) is made once. Grids built on
/// it (distributed_grid(layout)) share that communicator and make no other,
/// and share the halo plans it builds (one per boundary kind and shape).
///   weft::grid_layout<2> layout(comm, {4096, 4096}, {.halo = 1, .periodic = {true, true}});
///   weft::distributed_grid<double, 2> u(layout), v(layout);
template <int Rank>
class grid_layout {
  static_assert(Rank == 2 || Rank == 3, "weft::grid_layout: Rank must be 2 or 3.");
  static constexpr std::size_t dimensions_ = static_cast<std::size_t>(Rank);

 public:
  using extents_type = std::array<std::int64_t, dimensions_>;
  using splits_type = std::array<partition, dimensions_>;
  static constexpr int rank = Rank;

  /// Collective over comm: even blocks (partition::block along each
  /// dimension) over a process grid of opt.dims' non-zero entries and
  /// MPI_Dims_create's choice for the rest. Every rank must pass the same
  /// extents and options: they are compared exactly before anything else.
  /// Throws weft::error on every rank for negative or overflowing extents,
  /// a process grid that does not fit the communicator, extents smaller
  /// than the process grid, or a halo wider than a block.
  grid_layout(const communicator& comm, const extents_type& n, const grid_options& opt = {})
      : grid_layout(comm, block_splits(comm, n, opt), opt, agreed{}) {}

  /// Collective over comm: dimension d split as splits[d] says. The global
  /// extent along d is splits[d].global_size() and the process grid has
  /// splits[d].ranks() ranks along d (their product must be comm.size();
  /// non-zero entries of opt.dims must match). Rank (c0, c1[, c2]) of the
  /// process grid, rank ((c0 * dims1) + c1) * dims2 + c2 of comm, owns block
  /// c0 of splits[0], c1 of splits[1], ... Every rank must pass the same
  /// splits and options: every block boundary is compared exactly before
  /// anything else. Every block must hold at least one cell, and at least
  /// `halo` cells along a dimension of more than one rank or a periodic
  /// one. Throws weft::error on every rank otherwise.
  grid_layout(const communicator& comm, const splits_type& splits, const grid_options& opt = {})
      : grid_layout(comm, agreed_splits(comm, splits, opt), opt, agreed{}) {}

  /// Collective over comm(): a layout on the same process grid, Cartesian
  /// communicator and options, with dimension d split as splits[d] says
  /// (e.g. weighted splits that follow measured speeds): no new
  /// communicator. Every rank must pass the same splits (compared exactly),
  /// with dims()[d] blocks along dimension d, making a valid layout (see the
  /// constructor from splits); otherwise every rank throws weft::error.
  ///   weft::distributed_grid<double, 2> w(u.layout().with_splits(weft::weighted_splits<2>(...)));
  grid_layout with_splits(const splits_type& splits) const {
    agreed_splits(comm(), splits, options());
    for (std::size_t d = 0; d < dimensions_; ++d)
      detail::require(splits[d].ranks() == state_->dims[d], "weft::grid_layout::with_splits: split ", d, " has ",
                      splits[d].ranks(), " blocks but the process grid has ", state_->dims[d], " ranks along it");
    check_layout(comm(), splits, options());
    return grid_layout(*this, splits);
  }

  /// The Cartesian communicator (row-major ranks, rank r of it is rank r
  /// of the communicator the layout was built on).
  const communicator& comm() const { return state_->comm; }
  const extents_type& extents() const { return state_->n; }
  std::int64_t global_extent(int d) const { return state_->n[static_cast<std::size_t>(d)]; }
  /// This rank's block: its extents and its first global point.
  std::int64_t local_extent(int d) const { return state_->local[static_cast<std::size_t>(d)]; }
  std::int64_t offset(int d) const { return state_->offset[static_cast<std::size_t>(d)]; }
  const extents_type& local_extents() const { return state_->local; }
  const extents_type& offsets() const { return state_->offset; }
  /// The process grid, and this rank's position in it.
  const std::array<int, dimensions_>& dims() const { return state_->dims; }
  const std::array<int, dimensions_>& coords() const { return state_->coords; }
  const grid_options& options() const { return state_->options; }
  int halo_width() const { return state_->options.halo; }
  /// How dimension d is split over the process grid, and every dimension's.
  const partition& split(int d) const { return state_->splits[static_cast<std::size_t>(d)]; }
  const splits_type& splits() const { return state_->splits; }

  /// Whether `other` is this layout (a copy of it): grids on it share its
  /// communicator and plans. The same answer on every rank.
  bool is(const grid_layout& other) const { return state_ == other.state_; }
  /// The same global extents, process grid, block boundaries and halo
  /// width (whether or not built separately).
  bool same_layout(const grid_layout& other) const {
    return is(other) || (state_->n == other.state_->n && state_->dims == other.state_->dims &&
                         state_->splits == other.state_->splits && halo_width() == other.halo_width());
  }

 private:
  friend struct detail::halo_access;
  struct agreed {};
  struct state {
    extents_type n;
    grid_options options;
    std::array<int, dimensions_> dims;
    communicator comm;
    splits_type splits;
    std::array<int, dimensions_> coords{};
    extents_type local{}, offset{};
  };

  // The constructors' common part, once every rank holds the same splits
  // and options (compared exactly): every check from here on sees the same
  // values on every rank, so it throws on all of them or on none.
  grid_layout(const communicator& comm, const splits_type& splits, const grid_options& opt, agreed) {
    const auto dims = check_layout(comm, splits, opt);
    state_ = std::make_shared<const state>(make_state(comm, splits, opt, dims));
    cache_ = std::make_shared<detail::plan_cache>();
  }

  // with_splits: the base's process grid and communicator, other blocks
  // (agreed and checked by the caller).
  grid_layout(const grid_layout& base, const splits_type& splits) {
    state s = *base.state_;
    s.n = extents_of(splits);
    s.splits = splits;
    for (std::size_t d = 0; d < dimensions_; ++d) {
      s.local[d] = splits[d].local_size(s.coords[d]);
      s.offset[d] = splits[d].offset(s.coords[d]);
    }
    state_ = std::make_shared<const state>(std::move(s));
    cache_ = std::make_shared<detail::plan_cache>();
  }

  detail::copy_plan build_halo_geometry(const detail::halo_spec& spec) const {
    return detail::grid_halo_plan(*this, spec);
  }

  static state make_state(const communicator& comm, const splits_type& splits, const grid_options& opt,
                          const std::array<int, dimensions_>& dims) {
    state s{extents_of(splits), opt, dims, make_cartesian(comm, dims, opt), splits};
    int coords[3] = {0, 0, 0};
    detail::check_mpi(MPI_Cart_coords(s.comm.native(), s.comm.rank(), Rank, coords), "MPI_Cart_coords",
                      "weft::grid_layout");
    for (std::size_t d = 0; d < dimensions_; ++d) {
      s.coords[d] = coords[d];
      s.local[d] = splits[d].local_size(coords[d]);
      s.offset[d] = splits[d].offset(coords[d]);
    }
    return s;
  }

  static void record_options(detail::collective_check& agreement, const grid_options& opt) {
    for (std::size_t d = 0; d < dimensions_; ++d) {
      agreement.same("grid_options::dims", opt.dims[d]);
      agreement.same("grid_options::periodic", opt.periodic[d]);
    }
    agreement.same("grid_options::halo", opt.halo);
    agreement.same("grid_options::shape (0 box, 1 cross)", static_cast<std::int64_t>(opt.shape));
  }

  // Even blocks over a process grid of the user's entries, the rest from
  // MPI_Dims_create. First every rank's extents and options are compared
  // exactly (one MPI_Allreduce).
  static splits_type block_splits(const communicator& comm, const extents_type& n, const grid_options& opt) {
    const char* algorithm = "weft::distributed_grid";
    detail::collective_check agreement(algorithm);
    for (std::size_t d = 0; d < dimensions_; ++d) agreement.same("the global extents", n[d]);
    record_options(agreement, opt);
    agreement.settle(comm);

    std::int64_t given = 1;  // the product of the given process-grid entries
    bool all_given = true;
    for (std::size_t d = 0; d < dimensions_; ++d) {
      detail::require(n[d] >= 0, algorithm, ": negative extent ", n[d], " in dimension ", d);
      detail::require(opt.dims[d] >= 0 && opt.dims[d] <= comm.size(), algorithm, ": process-grid entry ", opt.dims[d],
                      " in dimension ", d, " is outside [0, ", comm.size(), "] (0 lets MPI choose)");
      if (opt.dims[d] > 0)
        given *= opt.dims[d];  // each <= size, so no overflow before the check below
      else
        all_given = false;
      detail::require(given <= comm.size(), algorithm, ": the process-grid entries given multiply past the ",
                      comm.size(), " ranks of the communicator");
    }
    detail::require(all_given ? given == comm.size() : comm.size() % given == 0, algorithm,
                    ": the process-grid entries given (product ", given, ") ",
                    all_given ? "must multiply to" : "must divide", " the ", comm.size(), " ranks of the communicator");
    int dims[3] = {opt.dims[0], opt.dims[1], opt.dims[2]};
    // No communicator here: MPI's default handler would abort on an error,
    // which the checks above rule out.
    detail::check_mpi(MPI_Dims_create(comm.size(), Rank, dims), "MPI_Dims_create", algorithm);
    return make_splits([&](std::size_t d) { return partition::block(n[d], dims[d]); });
  }

  // The user's splits, once every rank is known to hold the same ones and
  // the same options (one MPI_Allreduce).
  static const splits_type& agreed_splits(const communicator& comm, const splits_type& splits,
                                          const grid_options& opt) {
    static constexpr const char* boundaries_of[3] = {
        "the block boundaries of split 0", "the block boundaries of split 1", "the block boundaries of split 2"};
    detail::collective_check agreement("weft::distributed_grid");
    for (std::size_t d = 0; d < dimensions_; ++d) {
      agreement.same("the number of blocks of each split", splits[d].ranks());
      // As many values on every rank: comm.size() + 1 boundaries, padded
      // with -1 where a split has fewer blocks (more cannot fit anyway).
      std::vector<std::int64_t> boundaries(static_cast<std::size_t>(comm.size()) + 1, -1);
      const auto& offsets = splits[d].offsets();
      std::copy_n(offsets.begin(), std::min(boundaries.size(), offsets.size()), boundaries.begin());
      agreement.same_each(boundaries_of[d], boundaries);
    }
    record_options(agreement, opt);
    agreement.settle(comm);
    return splits;
  }

  static extents_type extents_of(const splits_type& splits) {
    extents_type n;
    for (std::size_t d = 0; d < dimensions_; ++d) n[d] = splits[d].global_size();
    return n;
  }

  template <class F>
  static splits_type make_splits(F f) {
    if constexpr (Rank == 2)
      return {f(0), f(1)};
    else
      return {f(0), f(1), f(2)};
  }

  // What every layout must satisfy, checked on agreed values; returns the
  // process grid.
  static std::array<int, dimensions_> check_layout(const communicator& comm, const splits_type& splits,
                                                   const grid_options& opt) {
    const char* algorithm = "weft::distributed_grid";
    detail::require(opt.halo >= 0, algorithm, ": negative halo width ", opt.halo);
    std::array<int, dimensions_> dims;
    std::int64_t ranks = 1, points = 1;
    std::string shape;  // "2 x 3" ranks
    for (std::size_t d = 0; d < dimensions_; ++d) {
      dims[d] = splits[d].ranks();
      shape += (d ? " x " : "") + std::to_string(dims[d]);
      detail::require(opt.dims[d] == 0 || opt.dims[d] == dims[d], algorithm, ": grid_options::dims gives ", opt.dims[d],
                      " ranks in dimension ", d, " but its split has ", dims[d]);
      ranks =
          dims[d] <= comm.size() && ranks <= comm.size() / dims[d] ? ranks * dims[d] : std::int64_t(comm.size()) + 1;
      const std::int64_t n = splits[d].global_size();
      detail::require(n == 0 || points <= INT64_MAX / n, algorithm, ": the global extents multiply past ",
                      "the largest 64-bit index");
      points *= n;
    }
    detail::require(ranks == comm.size(), algorithm, ": the splits' ", shape, " blocks make a process grid of ",
                    ranks > comm.size() ? "more" : "fewer", " ranks than the ", comm.size(), " of the communicator");
    for (std::size_t d = 0; d < dimensions_; ++d) {
      const partition& p = splits[d];
      const std::int64_t n = p.global_size();
      detail::require(n >= dims[d], algorithm, ": extent ", n, " in dimension ", d, " is smaller than the ", dims[d],
                      " ranks of the process grid along it");
      int thinnest = 0;
      for (int c = 1; c < dims[d]; ++c)
        if (p.local_size(c) < p.local_size(thinnest)) thinnest = c;
      const std::int64_t smallest = p.local_size(thinnest);
      detail::require(smallest > 0, algorithm, ": the block of process-grid coordinate ", thinnest, " in dimension ", d,
                      " is empty (extent ", n, " over ", dims[d], " ranks); every rank needs a cell");
      if (dims[d] > 1 || opt.periodic[d]) {
        detail::require(opt.halo <= smallest, algorithm, ": halo ", opt.halo, " is wider than the smallest block (",
                        smallest, " cells, coordinate ", thinnest, ") in dimension ", d, " of extent ", n, " over ",
                        dims[d], " ranks");
      }
    }
    return dims;
  }

  // The Cartesian communicator: row-major ranks, no reordering, so rank r
  // here is rank r of comm; duplicated into a weft::communicator.
  static communicator make_cartesian(const communicator& comm, const std::array<int, dimensions_>& dims,
                                     const grid_options& opt) {
    int dims_c[3] = {1, 1, 1}, periods[3] = {0, 0, 0};
    for (std::size_t d = 0; d < dimensions_; ++d) {
      dims_c[d] = dims[d];
      periods[d] = opt.periodic[d];
    }
    MPI_Comm cart = MPI_COMM_NULL;
    detail::check_mpi(MPI_Cart_create(comm.native(), Rank, dims_c, periods, 0, &cart), "MPI_Cart_create",
                      "weft::distributed_grid");
    communicator result = communicator::congruent_with(cart, comm);
    MPI_Comm_free(&cart);
    return result;
  }

  std::shared_ptr<const state> state_;
  std::shared_ptr<detail::plan_cache> cache_;
};

}  // namespace weft
