// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Geometric multigrid for poisson_cg.cpp's 5-point Poisson problem, from
// weft's public primitives on distributed grids: one V-cycle is the
// preconditioner of conjugate gradients. Not a solver framework; a worked
// example to copy.
//
// Levels. Level 0 is the n0 x n1 grid of unknowns, spacing h, zero outside.
// Coarse point (I, J) sits on fine point (2I + 1, 2J + 1): floor(n / 2)
// points along a dimension of n, spacing 2h. Prolongation P is bilinear
// interpolation (zero beyond the grid), restriction R = P^T / 4 (full
// weighting, 1/16 [1 2 1; 2 4 2; 1 2 1]).
//
// Any n. For odd n the coarse grid covers the same square. For even n the
// last coarse point is the last fine point, h from the boundary rather than
// 2h: a plain 5-point operator on the coarse grid would put its boundary h
// beyond the real one, and CG then needs more iterations, more as n grows
// (14 to 18 at n = 64 to 256 instead of 8). So each level's operator adds
// to its diagonal, at the last point along each dimension, what the 1-D
// Galerkin product R A P gives there (`extra`, 0 on level 0), and the
// transfers weigh that point as the operator does: below an odd extent the
// last fine point takes 1 / (2 + extra) of its coarse neighbour (1/2 while
// extra is 0), the value that makes the fine operator's row there vanish,
// and extra becomes extra / (2 + extra); below an even extent it becomes
// 1 + 2 extra. Without that weight, sizes with even halvings before odd
// ones (n = 1000, 2001) needed 14 and 15 iterations; with it, every size
// tried from 15 to 2049 takes 8 or 9.
//
// Ranks. Coarse point I belongs to the rank that owns fine point 2I + 1:
// each block boundary o becomes floor(o / 2). Restriction then reads only
// the fine residual's halo of 1, and prolongation only a coarse halo of 1
// (both with corners). Coarsening stops before a block would be empty or
// the grid would drop below `coarsest` points along a dimension. Even
// blocks stay within one point of each other through the halving, so none
// is empty while the grid has at least as many points as ranks along
// every dimension: with the default coarsest = 3 and at most 3 ranks along
// a dimension (every process grid of up to 4 ranks), the levels depend on
// n alone, and the V-cycle computes the same bits at any rank count.
//
// Smoother: weighted Jacobi, omega = 4/5 (the damping that best removes
// the oscillating errors of the 5-point Laplacian), `sweeps` times before
// and as often after the coarse correction. The coarsest grid (a few
// points per rank) is gathered to rank 0, solved there by a banded Cholesky
// factorisation made once, and scattered back.
//
// Why CG may use it: the same symmetric smoother before and after, R a
// multiple of P^T and an exact coarsest solve make the V-cycle a fixed
// symmetric positive definite operator B ~ A^-1.

#include <weft/distributed.hpp>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace poisson {

using grid = weft::distributed_grid<double, 2>;
/// A rank's block of a grid (interior()), as the kernels capture it.
using block_view = decltype(std::declval<const grid&>().local());

inline void require(bool condition, const std::string& what) {
  if (!condition) throw std::invalid_argument("poisson: " + what);
}

/// The 5-point operator of one level:
///   (A u)(i, j) = scale (diagonal(i, j) u(i, j) - u(i-1, j) - u(i+1, j) - u(i, j-1) - u(i, j+1)),
/// u = 0 outside the grid; diagonal is 4, plus extra[d] at the last point
/// along dimension d (see the top of this file).
struct five_point {
  double scale = 1;                          // 1 / h^2
  Kokkos::Array<std::int64_t, 2> last = {};  // the last global index along each dimension
  Kokkos::Array<double, 2> extra = {};       // added to the diagonal there

  KOKKOS_INLINE_FUNCTION double diagonal(std::int64_t i, std::int64_t j) const {
    return 4 + (i == last[0] ? extra[0] : 0.0) + (j == last[1] ? extra[1] : 0.0);
  }
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double apply(const Neighbourhood& nb) const {
    const auto p = nb.index();  // the global point
    return scale * (diagonal(p[0], p[1]) * nb(0, 0) - nb(-1, 0) - nb(1, 0) - nb(0, -1) - nb(0, 1));
  }
};

/// The 5-point Laplacian -laplace_h on an n0 x n1 grid of spacing h.
inline five_point laplacian(std::int64_t n0, std::int64_t n1, double h) {
  return {1.0 / (h * h), {n0 - 1, n1 - 1}, {0.0, 0.0}};
}

/// What restriction and prolongation between a level and the next need of
/// the fine level: its last points, and the weight the last fine point
/// takes of its coarse neighbour (every other point between two coarse
/// ones takes 1/2 of each).
struct transfer {
  Kokkos::Array<std::int64_t, 2> last = {};
  Kokkos::Array<double, 2> edge = {0.5, 0.5};

  /// The weight of the lower coarse neighbour of fine point g along d.
  KOKKOS_INLINE_FUNCTION double lower(std::int64_t g, int d) const { return g == last[d] ? edge[d] : 0.5; }
};

/// The transfers below a level of operator `fine`: the last fine point sits
/// between a coarse point and the boundary only for an odd extent, where
/// A x = 0 in its row gives the weight 1 / (2 + extra) (1/2 while extra is 0).
inline transfer transfer_below(const five_point& fine) {
  transfer t;
  for (int d = 0; d < 2; ++d) {
    t.last[d] = fine.last[d];
    if ((fine.last[d] + 1) % 2 == 1) t.edge[d] = 1 / (2 + fine.extra[d]);
  }
  return t;
}

/// The next level's operator: spacing 2h, and the extra diagonal of the
/// 1-D Galerkin product R A P at the last point along each dimension.
inline five_point coarse_operator(const five_point& fine) {
  five_point coarse;
  coarse.scale = fine.scale / 4;
  for (int d = 0; d < 2; ++d) {
    const std::int64_t n = fine.last[d] + 1;
    const double c = fine.extra[d];
    coarse.last[d] = n / 2 - 1;
    coarse.extra[d] = n % 2 == 0 ? 1 + 2 * c : c / (2 + c);
  }
  return coarse;
}

/// The coarse blocks along one dimension: coarse point I on the rank that
/// owns fine point 2I + 1. Blocks may come out empty (then do not coarsen).
inline weft::partition coarse_split(const weft::partition& fine) {
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(fine.ranks()));
  for (int r = 0; r < fine.ranks(); ++r)
    sizes[static_cast<std::size_t>(r)] = fine.offset(r + 1) / 2 - fine.offset(r) / 2;
  return weft::partition::from_sizes(sizes);
}

inline std::array<weft::partition, 2> coarse_splits(const std::array<weft::partition, 2>& fine) {
  return {coarse_split(fine[0]), coarse_split(fine[1])};
}

// The stencil functions and kernels: functors rather than generic lambdas,
// which nvcc rejects.

struct apply_function {
  five_point op;
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return op.apply(nb);
  }
};

struct residual_function {
  five_point op;
  block_view b;  // read at the stencil's point: laid out as the input, so it needs no halo
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return weft::at(b, nb.local_index()) - op.apply(nb);
  }
};

// omega / A(i, j), for the four diagonals there are (at the last point along
// neither dimension, the first, the second, both): a multiplication per
// point rather than a division.
struct jacobi_weights {
  Kokkos::Array<double, 4> w;
  jacobi_weights(const five_point& op, double omega) {
    for (int k = 0; k < 4; ++k)
      w[k] = omega / (op.scale * (4 + (k & 1 ? op.extra[0] : 0.0) + (k & 2 ? op.extra[1] : 0.0)));
  }
  KOKKOS_INLINE_FUNCTION double operator()(const five_point& op, std::int64_t i, std::int64_t j) const {
    return w[(i == op.last[0] ? 1 : 0) + (j == op.last[1] ? 2 : 0)];
  }
};

struct jacobi_function {
  five_point op;
  jacobi_weights weight;
  block_view b;
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    const auto p = nb.index();
    return nb(0, 0) + weight(op, p[0], p[1]) * (weft::at(b, nb.local_index()) - op.apply(nb));
  }
};

// The first sweep from x = 0 needs no neighbours: x = omega D^-1 b.
struct first_jacobi_function {
  five_point op;
  jacobi_weights weight;
  block_view b;
  std::int64_t offset0, offset1;  // the block's first global point
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, double& x) const {
    x = weight(op, i, j) * b(i - offset0, j - offset1);
  }
};

// Coarse point (I, J) gathers fine points 2I .. 2I + 2 with P's weights
// 1/2, 1, lower(2I + 2) along each dimension (2I is never the last point),
// divided by 4.
struct full_weighting {
  grid::storage_type fine;        // the fine residual with its halo
  std::int64_t origin0, origin1;  // the global point of fine(0, 0): the block's offset minus the halo
  transfer t;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t ci, std::int64_t cj, double& v) const {
    const std::int64_t gi = 2 * ci + 1, gj = 2 * cj + 1;
    const std::int64_t i = gi - origin0, j = gj - origin1;
    const double up = t.lower(gi + 1, 0), right = t.lower(gj + 1, 1);
    const double previous = 0.5 * fine(i - 1, j - 1) + fine(i - 1, j) + right * fine(i - 1, j + 1);
    const double middle = 0.5 * fine(i, j - 1) + fine(i, j) + right * fine(i, j + 1);
    const double next = 0.5 * fine(i + 1, j - 1) + fine(i + 1, j) + right * fine(i + 1, j + 1);
    v = 0.25 * (0.5 * previous + middle + up * next);
  }
};

// Fine point i lies between coarse points (i + 1) / 2 - 1, weight
// lower(i), and i / 2, weight 1/2: for odd i the same point, 1/2 + 1/2 (odd
// i is never the last point below an odd extent). i >= 0, so shifts do
// these divisions (a fifth faster than signed division by 2, which rounds
// towards zero).
struct bilinear_add {
  grid::storage_type coarse;      // with its halo (zero beyond the grid)
  std::int64_t origin0, origin1;  // the global point of coarse(0, 0)
  transfer t;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, double& v) const {
    const std::int64_t i0 = ((i + 1) >> 1) - 1 - origin0, i1 = (i >> 1) - origin0;
    const std::int64_t j0 = ((j + 1) >> 1) - 1 - origin1, j1 = (j >> 1) - origin1;
    const double wi = t.lower(i, 0), wj = t.lower(j, 1);
    v += wi * (wj * coarse(i0, j0) + 0.5 * coarse(i0, j1)) + 0.5 * (wj * coarse(i1, j0) + 0.5 * coarse(i1, j1));
  }
};

/// out = A in. `in` needs a halo of 1, exchanged here. Collective.
inline void apply(const five_point& op, const grid& in, const grid& out) {
  weft::stencil(in, out, weft::cross(1), weft::constant{0.0}, apply_function{op});
}

/// r = b - A x; x needs a halo of 1. Collective.
inline void residual(const five_point& op, const grid& x, const grid& b, const grid& r) {
  require(b.splits() == x.splits(), "residual: b is laid out differently from x");
  weft::stencil(x, r, weft::cross(1), weft::constant{0.0}, residual_function{op, b.local()});
}

/// One weighted Jacobi sweep for A x = b: out = x + omega D^-1 (b - A x),
/// D the diagonal of A; x needs a halo of 1. Collective.
inline void jacobi(const five_point& op, double omega, const grid& x, const grid& b, const grid& out) {
  require(b.splits() == x.splits(), "jacobi: b is laid out differently from x");
  weft::stencil(x, out, weft::cross(1), weft::constant{0.0}, jacobi_function{op, jacobi_weights(op, omega), b.local()});
}

/// The Jacobi sweep from x = 0: out = omega D^-1 b. Local.
inline void jacobi_from_zero(const five_point& op, double omega, const grid& b, const grid& out) {
  require(b.splits() == out.splits(), "jacobi_from_zero: b is laid out differently from out");
  weft::for_each_index(out,
                       first_jacobi_function{op, jacobi_weights(op, omega), b.local(), out.offset(0), out.offset(1)});
}

/// coarse = R fine (full weighting, with t = transfer_below(the fine
/// operator)). `fine` needs a halo of 1 with corners (stencil_shape::box),
/// exchanged here; `coarse` must be split by coarse_splits(fine.splits()).
/// Collective.
inline void restrict_full_weighting(const transfer& t, const grid& fine, const grid& coarse) {
  require(fine.halo_width() >= 1 && fine.options().shape == weft::stencil_shape::box,
          "restrict_full_weighting: the fine grid needs a halo of 1 with corners");
  require(coarse.splits() == coarse_splits(fine.splits()), "restrict_full_weighting: the coarse grid is not split "
                                                          "by coarse_splits(fine.splits())");
  fine.exchange_halo(weft::constant{0.0});
  const std::int64_t h = fine.halo_width();
  weft::for_each_index(coarse, full_weighting{fine.with_halo(), fine.offset(0) - h, fine.offset(1) - h, t});
}

/// fine += P coarse (bilinear, with t as for restriction). `coarse` needs a
/// halo of 1 with corners, exchanged here, and the split
/// coarse_splits(fine.splits()). Collective.
inline void prolong_add(const transfer& t, const grid& coarse, const grid& fine) {
  require(coarse.halo_width() >= 1 && coarse.options().shape == weft::stencil_shape::box,
          "prolong_add: the coarse grid needs a halo of 1 with corners");
  require(coarse.splits() == coarse_splits(fine.splits()), "prolong_add: the coarse grid is not split by "
                                                          "coarse_splits(fine.splits())");
  coarse.exchange_halo(weft::constant{0.0});
  const std::int64_t h = coarse.halo_width();
  weft::for_each_index(fine, bilinear_add{coarse.with_halo(), coarse.offset(0) - h, coarse.offset(1) - h, t});
}

/// A symmetric positive definite band matrix of half-bandwidth w, factored
/// as L L^T: the coarsest grid's direct solve (row-major points, so w is
/// the grid's second extent). The 5-point matrices are diagonally dominant
/// with a positive diagonal, so no pivot can vanish.
class band_cholesky {
 public:
  band_cholesky() = default;
  /// entry(i, j) gives A(i, j) for i - w <= j <= i.
  template <class Entry>
  band_cholesky(std::int64_t size, std::int64_t w, Entry entry)
      : n_(size), w_(w), l_(static_cast<std::size_t>(size * (w + 1))) {
    for (std::int64_t i = 0; i < n_; ++i)
      for (std::int64_t j = std::max<std::int64_t>(0, i - w_); j <= i; ++j) {
        double s = entry(i, j);
        for (std::int64_t k = std::max<std::int64_t>(0, i - w_); k < j; ++k) s -= at(i, k) * at(j, k);
        at(i, j) = j == i ? std::sqrt(s) : s / at(j, j);
      }
  }
  /// x = A^-1 x.
  void solve(std::vector<double>& x) const {
    for (std::int64_t i = 0; i < n_; ++i) {  // L y = x
      double s = x[static_cast<std::size_t>(i)];
      for (std::int64_t k = std::max<std::int64_t>(0, i - w_); k < i; ++k)
        s -= at(i, k) * x[static_cast<std::size_t>(k)];
      x[static_cast<std::size_t>(i)] = s / at(i, i);
    }
    for (std::int64_t i = n_; i-- > 0;) {  // L^T x = y
      double s = x[static_cast<std::size_t>(i)];
      for (std::int64_t k = i + 1; k <= std::min(n_ - 1, i + w_); ++k) s -= at(k, i) * x[static_cast<std::size_t>(k)];
      x[static_cast<std::size_t>(i)] = s / at(i, i);
    }
  }

 private:
  double& at(std::int64_t i, std::int64_t j) { return l_[static_cast<std::size_t>(i * (w_ + 1) + (j - i + w_))]; }
  double at(std::int64_t i, std::int64_t j) const { return l_[static_cast<std::size_t>(i * (w_ + 1) + (j - i + w_))]; }

  std::int64_t n_ = 0, w_ = 0;
  std::vector<double> l_;  // row i holds L(i, i - w) ... L(i, i)
};

struct multigrid_options {
  int sweeps = 2;              // Jacobi sweeps before, and as many after, the coarse correction
  double omega = 0.8;          // Jacobi's damping
  std::int64_t coarsest = 3;   // the fewest points along a dimension a coarse grid may have
};

/// The V-cycle preconditioner for the 5-point Laplacian on grids laid out
/// as `fine`, of spacing h. Building it is collective over fine's ranks.
///   poisson::multigrid mg(x, h);
///   mg.apply(r, z);   // z = B r, B ~ A^-1
class multigrid {
 public:
  struct level {
    five_point op;
    grid r;                    // residual: halo 1 with corners (restriction reads them)
    grid t;                    // Jacobi's second buffer
    std::optional<grid> x, b;  // coarse levels: the correction (halo 1 with corners, for
                               // prolongation) and its right-hand side; level 0 uses the caller's
  };

  multigrid(const grid& fine, double h, const multigrid_options& opt = {}) : opt_(opt) {
    require(opt.sweeps >= 1 && opt.omega > 0 && opt.omega <= 1 && opt.coarsest >= 1,
            "multigrid: need sweeps >= 1, 0 < omega <= 1 and coarsest >= 1");
    const weft::communicator& comm = fine.comm();
    const weft::grid_options box{.halo = 1, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::box};
    const weft::grid_options cross{
        .halo = 1, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::cross};
    const weft::grid_options none{.halo = 0, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::box};
    std::array<weft::partition, 2> splits = fine.splits();
    five_point op = laplacian(fine.global_extent(0), fine.global_extent(1), h);
    for (;;) {
      // Grids of one layout share its communicator (and its agreement).
      const weft::grid_layout<2> with_corners(comm, splits, box);
      level l{op, grid(with_corners), grid(comm, splits, cross), std::nullopt, std::nullopt};
      if (!levels_.empty()) {
        l.x.emplace(with_corners);
        l.b.emplace(comm, splits, none);
      }
      levels_.push_back(std::move(l));
      // The splits are the same on every rank, so every rank decides alike.
      const auto next = coarse_splits(splits);
      bool coarsen = true;
      for (int d = 0; d < 2; ++d) {
        const weft::partition& s = next[static_cast<std::size_t>(d)];
        coarsen = coarsen && s.global_size() >= opt.coarsest;
        for (int r = 0; r < s.ranks(); ++r) coarsen = coarsen && s.local_size(r) > 0;
      }
      if (!coarsen) break;
      splits = next;
      op = coarse_operator(op);
    }
    // The coarsest operator as a band matrix, on rank 0 only.
    const std::int64_t n0 = splits[0].global_size(), n1 = splits[1].global_size();
    require(n0 * n1 * (n1 + 1) <= (std::int64_t(1) << 24),
            "multigrid: the coarsest grid (" + std::to_string(n0) + " x " + std::to_string(n1) +
                ") is too large for its direct solve; blocks too small to coarsen?");
    if (comm.rank() == 0) {
      const five_point c = op;
      coarsest_ = band_cholesky(n0 * n1, n1, [&](std::int64_t p, std::int64_t q) {
        if (p == q) return c.scale * c.diagonal(p / n1, p % n1);
        if ((p - q == 1 && p % n1 != 0) || p - q == n1) return -c.scale;  // left or upper neighbour
        return 0.0;
      });
    }
  }

  /// z = B r: one V-cycle for A z = r from z = 0. r and z laid out as the
  /// fine grid, z with a halo of 1 (the sweeps read its neighbours).
  /// Collective.
  void apply(const grid& r, const grid& z) const {
    require(r.splits() == levels_[0].r.splits() && z.splits() == levels_[0].r.splits(),
            "multigrid::apply: r and z must be laid out as the fine grid");
    cycle(0, r, z);
  }

  std::size_t levels() const { return levels_.size(); }
  const level& at(std::size_t l) const { return levels_[l]; }
  const multigrid_options& options() const { return opt_; }

 private:
  // x = B_l b on level l.
  void cycle(std::size_t l, const grid& b, const grid& x) const {
    const level& here = levels_[l];
    if (l + 1 == levels_.size()) {
      solve_coarsest(b, x);
      return;
    }
    // 2 sweeps x `sweeps` in all, alternating between t and x: the first
    // writes t, so the last writes x.
    grid current = here.t, other = x;
    jacobi_from_zero(here.op, opt_.omega, b, current);
    for (int s = 1; s < opt_.sweeps; ++s) {
      jacobi(here.op, opt_.omega, current, b, other);
      std::swap(current, other);
    }
    residual(here.op, current, b, here.r);
    const level& below = levels_[l + 1];
    const transfer t = transfer_below(here.op);
    restrict_full_weighting(t, here.r, *below.b);
    cycle(l + 1, *below.b, *below.x);
    prolong_add(t, *below.x, current);
    for (int s = 0; s < opt_.sweeps; ++s) {
      jacobi(here.op, opt_.omega, current, b, other);
      std::swap(current, other);
    }
  }

  // Gathered to rank 0, solved, scattered: the same bits at any rank count.
  void solve_coarsest(const grid& b, const grid& x) const {
    std::vector<double> field = weft::gather(b, 0);
    if (b.comm().rank() == 0) coarsest_.solve(field);
    weft::scatter(field, x, 0);
  }

  multigrid_options opt_;
  std::vector<level> levels_;
  band_cholesky coarsest_;  // rank 0
};

}  // namespace poisson
