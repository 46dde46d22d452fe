#pragma once
// Helpers for the distributed grid tests: global extents and row-major
// positions, what a halo cell must hold, grids filled from a global field,
// and a stencil with its sequential reference.

#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace weft_test {

/// An extent for a test written for up to 4 ranks, grown past 4 ranks so
/// that even blocks along it stay wide enough for a halo of 2 when every
/// rank lies along it: n itself at 1 to 4 ranks (the cases stay as
/// written), at least 2 (ranks + 1) beyond.
inline std::int64_t grown(std::int64_t n, int ranks) {
  return ranks > 4 ? std::max<std::int64_t>(n, 2 * (ranks + 1)) : n;
}

template <int R>
using ext = std::array<std::int64_t, R>;

template <int R>
std::int64_t volume(const ext<R>& n) {
  std::int64_t v = 1;
  for (auto e : n) v *= e;
  return v;
}

template <int R>
std::int64_t linear(const ext<R>& n, const ext<R>& p) {
  std::int64_t at = 0;
  for (int d = 0; d < R; ++d) at = at * n[d] + p[d];
  return at;
}

// The value a read at global point p (maybe outside) gives, or nullopt where
// it is unspecified (an edge/corner cell without corner exchange).
enum class bc_kind { constant, clamp, periodic };
template <int R, class T>
std::optional<T> read_global(const std::vector<T>& field, const ext<R>& n, ext<R> p,
                             const std::array<bool, 3>& periodic, bc_kind kind, double constant) {
  for (int d = 0; d < R; ++d) {
    if (p[d] >= 0 && p[d] < n[d]) continue;
    if (periodic[d] || kind == bc_kind::periodic)
      p[d] = ((p[d] % n[d]) + n[d]) % n[d];
    else if (kind == bc_kind::clamp)
      p[d] = p[d] < 0 ? 0 : n[d] - 1;
    else
      return static_cast<T>(constant);
  }
  return field[linear<R>(n, p)];
}

/// Each rank's block of g from the global row-major field.
template <class G, class T>
void fill_from(const G& g, const std::vector<T>& field) {
  constexpr int R = G::rank;
  ext<R> n;
  for (int d = 0; d < R; ++d) n[d] = g.global_extent(d);
  auto host = Kokkos::create_mirror_view(g.local());
  if constexpr (R == 2) {
    for (std::int64_t i = 0; i < g.local_extent(0); ++i)
      for (std::int64_t j = 0; j < g.local_extent(1); ++j)
        host(i, j) = field[linear<2>(n, {g.offset(0) + i, g.offset(1) + j})];
  } else {
    for (std::int64_t i = 0; i < g.local_extent(0); ++i)
      for (std::int64_t j = 0; j < g.local_extent(1); ++j)
        for (std::int64_t k = 0; k < g.local_extent(2); ++k)
          host(i, j, k) = field[linear<3>(n, {g.offset(0) + i, g.offset(1) + j, g.offset(2) + k})];
  }
  Kokkos::deep_copy(g.local(), host);
}

/// Every cell of the block with its halo against the global field: how many
/// differ from what the boundary and periodicity say they must hold (edge
/// and corner cells of a cross-shaped grid are not checked).
template <class G, class T>
int wrong_halo_cells(const G& g, const std::vector<T>& field, bc_kind kind, double constant,
                     std::optional<weft::stencil_shape> filled = std::nullopt) {
  const weft::stencil_shape shape = filled.value_or(g.options().shape);
  constexpr int R = G::rank;
  ext<R> n;
  for (int d = 0; d < R; ++d) n[d] = g.global_extent(d);
  auto all = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
  const std::int64_t h = g.halo_width();
  int wrong = 0;
  auto check = [&](const ext<R>& s, double got) {
    int outside = 0;
    ext<R> p;
    for (int d = 0; d < R; ++d) {
      outside += s[d] < h || s[d] >= h + g.local_extent(d);
      p[d] = g.offset(d) + s[d] - h;
    }
    if (outside > 1 && shape == weft::stencil_shape::cross) return;
    const auto expected = read_global<R>(field, n, p, g.options().periodic, kind, constant);
    if (expected && got != *expected && wrong++ < 3)
      UNSCOPED_INFO("rank " << g.comm().rank() << " storage cell " << s[0] << "," << s[1] << " got " << got
                            << " expected " << *expected);
  };
  if constexpr (R == 2) {
    for (std::int64_t i = 0; i < (std::int64_t)all.extent(0); ++i)
      for (std::int64_t j = 0; j < (std::int64_t)all.extent(1); ++j) check({i, j}, all(i, j));
  } else {
    for (std::int64_t i = 0; i < (std::int64_t)all.extent(0); ++i)
      for (std::int64_t j = 0; j < (std::int64_t)all.extent(1); ++j)
        for (std::int64_t k = 0; k < (std::int64_t)all.extent(2); ++k) check({i, j, k}, all(i, j, k));
  }
  return wrong;
}

// The stencil under test: 0.5 i + 0.25 (last index) plus w(offset) * in(p +
// offset) over the (2r+1)^R box, or over its axes only (a "cross": what a
// 5- or 7-point stencil reads, which needs no edge or corner halo).
template <int R>
KOKKOS_INLINE_FUNCTION double offset_weight(const Kokkos::Array<std::int64_t, R>& o) {
  double w = 1.0;
  for (int d = 0; d < R; ++d) w += (0.3 + 0.1 * d) * o[d] + 0.02 * o[d] * o[d] * (d + 1);
  return w;
}

template <int R>
KOKKOS_INLINE_FUNCTION bool off_axis(const Kokkos::Array<std::int64_t, R>& o) {
  int nonzero = 0;
  for (int d = 0; d < R; ++d) nonzero += o[d] != 0;
  return nonzero > 1;
}

// A functor with a templated call operator, not a generic KOKKOS_LAMBDA,
// which nvcc rejects: this file builds for CUDA too.
template <int R>
struct weighted_grid_stencil {
  int r;
  bool cross;
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    const auto p = nb.index();
    double s = 0.5 * p[0] + 0.25 * p[R - 1];
    Kokkos::Array<std::int64_t, R> o;
    if constexpr (R == 2) {
      for (o[0] = -r; o[0] <= r; ++o[0])
        for (o[1] = -r; o[1] <= r; ++o[1])
          if (!cross || !off_axis<R>(o)) s += offset_weight<R>(o) * nb(o[0], o[1]);
    } else {
      for (o[0] = -r; o[0] <= r; ++o[0])
        for (o[1] = -r; o[1] <= r; ++o[1])
          for (o[2] = -r; o[2] <= r; ++o[2])
            if (!cross || !off_axis<R>(o)) s += offset_weight<R>(o) * nb(o[0], o[1], o[2]);
    }
    return s;
  }
};

// The same behind a call operator taking only the grid's named
// neighbourhood type (what a non-generic lambda gives weft).
template <int R, class Neighbourhood>
struct weighted_grid_stencil_named {
  weighted_grid_stencil<R> f;
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const { return f(nb); }
};

struct grid_centre {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(0, 0);
  }
};

template <int R>
std::vector<double> reference_stencil(const std::vector<double>& field, const ext<R>& n, int r, bool cross,
                                      const std::array<bool, 3>& periodic, bc_kind kind, double constant,
                                      bool interior_only, std::vector<double> out) {
  for (std::int64_t at = 0; at < volume<R>(n); ++at) {
    ext<R> p;
    std::int64_t rest = at;
    for (int d = R - 1; d >= 0; --d) {
      p[d] = rest % n[d];
      rest /= n[d];
    }
    bool skip = false;
    for (int d = 0; d < R; ++d) skip = skip || (interior_only && !periodic[d] && (p[d] < r || p[d] >= n[d] - r));
    if (skip) continue;
    double s = 0.5 * p[0] + 0.25 * p[R - 1];
    const std::int64_t side = 2 * r + 1, cells = R == 2 ? side * side : side * side * side;
    for (std::int64_t c = 0; c < cells; ++c) {
      Kokkos::Array<std::int64_t, R> o;
      ext<R> q;
      std::int64_t t = c;
      for (int d = R - 1; d >= 0; --d) {
        o[d] = t % side - r;
        t /= side;
        q[d] = p[d] + o[d];
      }
      if (cross && off_axis<R>(o)) continue;
      s += offset_weight<R>(o) * *read_global<R>(field, n, q, periodic, kind, constant);
    }
    out[at] = s;
  }
  return out;
}

}  // namespace weft_test
