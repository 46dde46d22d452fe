// The multigrid pieces of examples/multigrid.hpp (poisson_cg's
// preconditioner) against sequential references on the global field, at 1
// to 4 ranks: the levels, the operator, the Jacobi sweep, restriction,
// prolongation (and that one is the transpose of the other), the whole
// V-cycle, and its symmetry.
#include "multigrid.hpp"

#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "data.hpp"
#include "grids.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace weft_test;

namespace {

using grid = poisson::grid;
using field = std::vector<double>;

// ---- Sequential references on row-major n0 x n1 fields ----

double read(const field& u, const ext<2>& n, std::int64_t i, std::int64_t j) {
  return i < 0 || j < 0 || i >= n[0] || j >= n[1] ? 0.0 : u[static_cast<std::size_t>(i * n[1] + j)];
}

ext<2> extents_of(const poisson::five_point& op) { return {op.last[0] + 1, op.last[1] + 1}; }

double diagonal(const poisson::five_point& op, std::int64_t i, std::int64_t j) {
  return 4 + (i == op.last[0] ? op.extra[0] : 0.0) + (j == op.last[1] ? op.extra[1] : 0.0);
}

field ref_apply(const poisson::five_point& op, const field& u) {
  const ext<2> n = extents_of(op);
  field out(u.size());
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      out[static_cast<std::size_t>(i * n[1] + j)] =
          op.scale * (diagonal(op, i, j) * read(u, n, i, j) - read(u, n, i - 1, j) - read(u, n, i + 1, j) -
                      read(u, n, i, j - 1) - read(u, n, i, j + 1));
  return out;
}

field ref_jacobi(const poisson::five_point& op, double omega, const field& x, const field& b) {
  const ext<2> n = extents_of(op);
  const field ax = ref_apply(op, x);
  field out(x.size());
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j) {
      const auto k = static_cast<std::size_t>(i * n[1] + j);
      out[k] = x[k] + omega / (op.scale * diagonal(op, i, j)) * (b[k] - ax[k]);
    }
  return out;
}

// P along one dimension of n fine points below a fine operator with extra
// diagonal `extra` at the last point: fine point 2I + 1 is coarse point I
// (weight 1); an even fine point takes 1/2 of each coarse neighbour, except
// the last point of an odd extent, which has one: 1 / (2 + extra) of it.
double ref_p(std::int64_t n, double extra, std::int64_t i, std::int64_t coarse) {
  if (i == 2 * coarse + 1) return 1;
  if (i == 2 * coarse + 2 && i == n - 1) return 1 / (2 + extra);
  if (i == 2 * coarse || i == 2 * coarse + 2) return 0.5;
  return 0;
}

// R = P^T / 4 onto the points (2I + 1, 2J + 1) of the coarse grid below `fine`.
field ref_restrict(const poisson::five_point& fine, const field& u) {
  const ext<2> n = extents_of(fine), c{n[0] / 2, n[1] / 2};
  field out(static_cast<std::size_t>(c[0] * c[1]));
  for (std::int64_t ci = 0; ci < c[0]; ++ci)
    for (std::int64_t cj = 0; cj < c[1]; ++cj) {
      double s = 0;
      for (std::int64_t i = 2 * ci; i <= 2 * ci + 2; ++i)
        for (std::int64_t j = 2 * cj; j <= 2 * cj + 2; ++j)
          s += ref_p(n[0], fine.extra[0], i, ci) * ref_p(n[1], fine.extra[1], j, cj) * read(u, n, i, j);
      out[static_cast<std::size_t>(ci * c[1] + cj)] = s / 4;
    }
  return out;
}

// P coarse on the fine grid of operator `fine` (a coarse point outside the
// grid is zero).
field ref_prolong(const poisson::five_point& fine, const field& coarse) {
  const ext<2> n = extents_of(fine), c{n[0] / 2, n[1] / 2};
  field out(static_cast<std::size_t>(n[0] * n[1]), 0.0);
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j) {
      double s = 0;
      for (std::int64_t ci = i / 2 - 1; ci <= i / 2; ++ci)
        for (std::int64_t cj = j / 2 - 1; cj <= j / 2; ++cj)
          s += ref_p(n[0], fine.extra[0], i, ci) * ref_p(n[1], fine.extra[1], j, cj) * read(coarse, c, ci, cj);
      out[static_cast<std::size_t>(i * n[1] + j)] = s;
    }
  return out;
}

// A x = b by dense Gaussian elimination (A is symmetric positive definite:
// no pivoting needed): the coarsest grid is a few points.
field ref_solve(const poisson::five_point& op, field b) {
  const std::size_t size = b.size();
  std::vector<field> a(size, field(size, 0.0));
  for (std::size_t q = 0; q < size; ++q) {
    field e(size, 0.0);
    e[q] = 1;
    const field column = ref_apply(op, e);
    for (std::size_t p = 0; p < size; ++p) a[p][q] = column[p];
  }
  for (std::size_t k = 0; k < size; ++k)
    for (std::size_t p = k + 1; p < size; ++p) {
      const double f = a[p][k] / a[k][k];
      for (std::size_t q = k; q < size; ++q) a[p][q] -= f * a[k][q];
      b[p] -= f * b[k];
    }
  for (std::size_t k = size; k-- > 0;) {
    for (std::size_t q = k + 1; q < size; ++q) b[k] -= a[k][q] * b[q];
    b[k] /= a[k][k];
  }
  return b;
}

// The levels as multigrid.hpp describes them: halve (floor) while both
// extents stay >= 3; the extra diagonal 1 + 2 extra below an even extent,
// extra / (2 + extra) below an odd one. (Up to 3 ranks along a dimension,
// no block empties first.)
std::vector<poisson::five_point> ref_levels(const ext<2>& n, double h) {
  std::vector<poisson::five_point> ops{{1 / (h * h), {n[0] - 1, n[1] - 1}, {0.0, 0.0}}};
  while (ops.back().last[0] + 1 >= 6 && ops.back().last[1] + 1 >= 6) {
    const poisson::five_point& f = ops.back();
    poisson::five_point c;
    c.scale = f.scale / 4;
    for (int d = 0; d < 2; ++d) {
      const std::int64_t m = f.last[d] + 1;
      c.last[d] = m / 2 - 1;
      c.extra[d] = m % 2 == 0 ? 1 + 2 * f.extra[d] : f.extra[d] / (2 + f.extra[d]);
    }
    ops.push_back(c);
  }
  return ops;
}

field ref_vcycle(const std::vector<poisson::five_point>& ops, std::size_t l, const field& b, int sweeps, double omega) {
  const poisson::five_point& op = ops[l];
  if (l + 1 == ops.size()) return ref_solve(op, b);
  field x(b.size(), 0.0);
  for (int s = 0; s < sweeps; ++s) x = ref_jacobi(op, omega, x, b);
  const field ax = ref_apply(op, x);
  field r(b.size());
  for (std::size_t k = 0; k < r.size(); ++k) r[k] = b[k] - ax[k];
  const field correction = ref_prolong(op, ref_vcycle(ops, l + 1, ref_restrict(op, r), sweeps, omega));
  for (std::size_t k = 0; k < x.size(); ++k) x[k] += correction[k];
  for (int s = 0; s < sweeps; ++s) x = ref_jacobi(op, omega, x, b);
  return x;
}

// ---- Helpers ----

double max_abs(const field& u) {
  double m = 0;
  for (double v : u) m = std::max(m, std::abs(v));
  return m;
}

// The largest difference, relative to the largest expected value.
double relative_difference(const field& got, const field& expected) {
  REQUIRE(got.size() == expected.size());
  double d = 0;
  for (std::size_t k = 0; k < got.size(); ++k) d = std::max(d, std::abs(got[k] - expected[k]));
  return d / std::max(max_abs(expected), std::numeric_limits<double>::min());
}

std::array<int, 2> process_grid(int ranks) {
  int dims[2] = {0, 0};
  MPI_Dims_create(ranks, 2, dims);
  return {dims[0], dims[1]};
}

// Whether an n0 x n1 grid can be split over the process grid at all.
bool fits(const ext<2>& n, const std::array<int, 2>& dims) { return n[0] >= dims[0] && n[1] >= dims[1]; }

bool all_blocks_filled(const std::array<weft::partition, 2>& splits) {
  for (const auto& s : splits)
    for (int r = 0; r < s.ranks(); ++r)
      if (s.local_size(r) == 0) return false;
  return true;
}

const weft::grid_options box{.halo = 1, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::box};
const weft::grid_options cross{.halo = 1, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::cross};
const weft::grid_options no_halo{.halo = 0, .periodic = {false, false}, .dims = {}, .shape = weft::stencil_shape::box};

// The grids' splits: even blocks, or uneven ones (weights 1, 2, 3, ...
// along dimension 0) where every block still has a point.
std::array<weft::partition, 2> splits_for(const ext<2>& n, const std::array<int, 2>& dims, bool uneven) {
  std::vector<double> weights;
  for (int r = 0; r < dims[0]; ++r) weights.push_back(1.0 + r);
  std::array<weft::partition, 2> even{weft::partition::block(n[0], dims[0]), weft::partition::block(n[1], dims[1])};
  if (!uneven) return even;
  std::array<weft::partition, 2> skewed{weft::partition::weighted(n[0], weights), even[1]};
  return all_blocks_filled(skewed) ? skewed : even;
}

ext<2> global_extents(const grid& g) { return {g.global_extent(0), g.global_extent(1)}; }

}  // namespace

TEST_CASE("multigrid levels: halved while every extent stays >= 3, the extra diagonal at the last point",
          "[multigrid][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const ext<2> n = GENERATE(ext<2>{1, 1}, ext<2>{2, 2}, ext<2>{7, 7}, ext<2>{32, 32}, ext<2>{65, 65}, ext<2>{97, 97},
                            ext<2>{97, 32}, ext<2>{7, 65}, ext<2>{1024, 1023});
  CAPTURE(n[0], n[1]);
  const auto dims = process_grid(comm.size());
  if (!fits(n, dims)) return;
  const double h = 1.0 / double(std::max(n[0], n[1]) + 1);
  grid g(comm, n, cross);
  const poisson::multigrid mg(g, h);
  const auto expected = ref_levels(n, h);
  REQUIRE(mg.levels() == expected.size());
  for (std::size_t l = 0; l < expected.size(); ++l) {
    CAPTURE(l);
    const poisson::five_point& op = mg.at(l).op;
    CHECK(op.scale == expected[l].scale);
    for (int d = 0; d < 2; ++d) {
      CHECK(op.last[d] == expected[l].last[d]);
      CHECK(op.extra[d] == expected[l].extra[d]);
      CHECK(mg.at(l).r.global_extent(d) == expected[l].last[d] + 1);
    }
    // Coarse blocks: the rank owning fine point 2I + 1 owns coarse point I.
    if (l > 0) CHECK(mg.at(l).r.splits() == poisson::coarse_splits(mg.at(l - 1).r.splits()));
  }
}

TEST_CASE("multigrid operator, residual and Jacobi sweep equal the sequential ones", "[multigrid][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const ext<2> n = GENERATE(ext<2>{1, 1}, ext<2>{2, 2}, ext<2>{7, 7}, ext<2>{32, 32}, ext<2>{65, 65}, ext<2>{97, 97},
                            ext<2>{97, 7});
  const bool uneven = GENERATE(false, true);
  CAPTURE(n[0], n[1], uneven);
  const auto dims = process_grid(comm.size());
  if (!fits(n, dims)) return;
  const auto splits = splits_for(n, dims, uneven);
  // Extra diagonals as a coarse level has them, so that they are tested too.
  const double h = 1.0 / double(n[0] + 1);
  const poisson::five_point op{1 / (h * h), {n[0] - 1, n[1] - 1}, {1.5, 3.0}};
  const double omega = 0.8;
  const auto x_values = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 1500 + n[0]);
  const auto b_values = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 1600 + n[1]);
  grid x(comm, splits, cross), b(comm, splits, no_halo), out(comm, splits, no_halo);
  fill_from(x, x_values);
  fill_from(b, b_values);
  // Pointwise sums of a few terms of size scale: rounding far below this.
  const double tolerance = 64 * std::numeric_limits<double>::epsilon();

  poisson::apply(op, x, out);
  auto got = weft::gather(out, 0);
  if (comm.rank() == 0) CHECK(relative_difference(got, ref_apply(op, x_values)) <= tolerance);

  poisson::residual(op, x, b, out);
  got = weft::gather(out, 0);
  if (comm.rank() == 0) {
    const field ax = ref_apply(op, x_values);
    field r(ax.size());
    for (std::size_t k = 0; k < r.size(); ++k) r[k] = b_values[k] - ax[k];
    CHECK(relative_difference(got, r) <= tolerance);
  }

  poisson::jacobi(op, omega, x, b, out);
  got = weft::gather(out, 0);
  if (comm.rank() == 0) CHECK(relative_difference(got, ref_jacobi(op, omega, x_values, b_values)) <= tolerance);

  poisson::jacobi_from_zero(op, omega, b, out);
  got = weft::gather(out, 0);
  if (comm.rank() == 0)
    CHECK(relative_difference(got, ref_jacobi(op, omega, field(b_values.size(), 0.0), b_values)) <= tolerance);
}

TEST_CASE("multigrid restriction and prolongation equal the sequential ones, and R = P^T / 4",
          "[multigrid][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const ext<2> n = GENERATE(ext<2>{1, 1}, ext<2>{2, 2}, ext<2>{7, 7}, ext<2>{32, 32}, ext<2>{65, 65}, ext<2>{97, 97},
                            ext<2>{7, 32}, ext<2>{97, 64});
  const bool uneven = GENERATE(false, true);
  // Below level 0 (no extra diagonal), and below a level with one, which
  // changes the weight of the last point of an odd extent.
  const bool extra = GENERATE(false, true);
  CAPTURE(n[0], n[1], uneven, extra);
  const poisson::five_point op{1.0, {n[0] - 1, n[1] - 1}, {extra ? 3.0 : 0.0, extra ? 7.0 : 0.0}};
  const poisson::transfer t = poisson::transfer_below(op);
  const auto dims = process_grid(comm.size());
  if (!fits(n, dims)) return;
  const auto splits = splits_for(n, dims, uneven);
  const auto coarse_splits = poisson::coarse_splits(splits);
  // No coarse grid below 2 points, or where a coarse block would be empty.
  if (n[0] < 2 || n[1] < 2 || !all_blocks_filled(coarse_splits)) return;
  const ext<2> c{n[0] / 2, n[1] / 2};
  const auto fine_values = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 1700 + n[0]);
  const auto coarse_values = random_vector<double>(static_cast<std::size_t>(volume<2>(c)), 1800 + n[1]);
  const auto before = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 1900 + n[0]);
  grid fine(comm, splits, box), coarse(comm, coarse_splits, box), target(comm, splits, no_halo);
  grid restricted(comm, coarse_splits, no_halo);
  REQUIRE(global_extents(coarse) == c);
  fill_from(fine, fine_values);
  fill_from(coarse, coarse_values);
  fill_from(target, before);
  const double tolerance = 16 * std::numeric_limits<double>::epsilon();

  poisson::restrict_full_weighting(t, fine, restricted);
  auto got = weft::gather(restricted, 0);
  if (comm.rank() == 0) CHECK(relative_difference(got, ref_restrict(op, fine_values)) <= tolerance);

  poisson::prolong_add(t, coarse, target);
  got = weft::gather(target, 0);
  if (comm.rank() == 0) {
    field expected = ref_prolong(op, coarse_values);
    for (std::size_t k = 0; k < expected.size(); ++k) expected[k] += before[k];
    CHECK(relative_difference(got, expected) <= tolerance);
  }

  // <R x, y> = <x, P y> / 4, x = fine_values, y = coarse_values: sums of
  // volume(n) products of terms below 1.
  weft::fill(target, 0.0);
  poisson::prolong_add(t, coarse, target);
  const double restricted_dot = weft::transform_reduce(restricted, coarse, 0.0, weft::plus{}, weft::multiplies{});
  const double prolonged_dot = weft::transform_reduce(fine, target, 0.0, weft::plus{}, weft::multiplies{});
  CHECK(std::abs(restricted_dot - prolonged_dot / 4) <=
        sum_tolerance<double>(static_cast<std::size_t>(volume<2>(n)), static_cast<double>(volume<2>(n))));
}

TEST_CASE("multigrid V-cycle equals the sequential one and is symmetric positive definite",
          "[multigrid][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const ext<2> n = GENERATE(ext<2>{1, 1}, ext<2>{2, 2}, ext<2>{7, 7}, ext<2>{32, 32}, ext<2>{65, 65}, ext<2>{97, 97},
                            ext<2>{97, 32}, ext<2>{6, 65});
  const bool uneven = GENERATE(false, true);
  const int sweeps = GENERATE(1, 2);
  CAPTURE(n[0], n[1], uneven, sweeps);
  const auto dims = process_grid(comm.size());
  if (!fits(n, dims)) return;
  const auto splits = splits_for(n, dims, uneven);
  const double h = 1.0 / double(n[0] + 1);
  const poisson::multigrid_options options{.sweeps = sweeps, .omega = 0.8, .coarsest = 3};
  grid r(comm, splits, no_halo), z(comm, splits, cross), s(comm, splits, no_halo), w(comm, splits, cross);
  const poisson::multigrid mg(r, h, options);
  const auto ops = ref_levels(n, h);
  // Uneven blocks may stop the coarsening early; the reference then stops there too.
  REQUIRE(mg.levels() <= ops.size());
  const std::vector<poisson::five_point> used(ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(mg.levels()));

  const auto r_values = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 2000 + n[0] + sweeps);
  const auto s_values = random_vector<double>(static_cast<std::size_t>(volume<2>(n)), 2100 + n[1] + sweeps);
  fill_from(r, r_values);
  fill_from(s, s_values);
  mg.apply(r, z);
  const auto got = weft::gather(z, 0);
  if (comm.rank() == 0) {
    // Rounding passes through every level and the coarsest solve.
    const field expected = ref_vcycle(used, 0, r_values, sweeps, 0.8);
    CHECK(relative_difference(got, expected) <= 1e-12);
  }

  // <B r, s> = <r, B s>, and <B r, r> > 0.
  mg.apply(s, w);
  auto dot = [](const grid& a, const grid& b) {
    return weft::transform_reduce(a, b, 0.0, weft::plus{}, weft::multiplies{});
  };
  const double brs = dot(z, s), rbs = dot(r, w);
  const double scale = std::sqrt(dot(z, z) * dot(s, s));
  CHECK(std::abs(brs - rbs) <= 1e-12 * scale);
  CHECK(dot(z, r) > 0);
  CHECK(dot(w, s) > 0);
}
