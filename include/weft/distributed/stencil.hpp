#pragma once
// Stencils on distributed vectors (1-D) and grids (2-D, 3-D), overlapping the
// halo exchange with the interior: post the ghost messages, compute the
// points that need no ghost from another rank, wait, compute the bands.

#include "../stencil.hpp"
#include "for_each.hpp"
#include "grid.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
/// The boundary a stencil's halo exchange fills the ghosts with: the
/// stencil's own, or for interior_only (whose edge points are not written)
/// any constant.
template <class T, class Boundary>
auto exchange_boundary(const Boundary& bc) {
  if constexpr (std::is_same_v<Boundary, interior_only>) return constant<T>{T{}};
  else return bc;
}

/// Runs launch(piece) over box b while `plan`'s messages are in flight. On
/// host execution spaces kernels block, and most MPIs move large messages
/// only inside MPI calls, so the box runs in up to four pieces along
/// dimension 0 with halo.test() between them (the rest in one piece once
/// everything has arrived). Device kernels are asynchronous: one launch, and
/// the host waits in MPI meanwhile.
template <class Exec, int Rank, class Plan, class Launch>
void launch_progressing(const box<Rank>& b, const Plan& plan, halo_exchange& halo, Launch launch) {
  constexpr bool host_kernels = Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename Exec::memory_space>::accessible;
  std::int64_t points = 1;
  for (int d = 0; d < Rank; ++d) points *= b.hi[d] > b.lo[d] ? b.hi[d] - b.lo[d] : 0;
  const std::int64_t rows = b.hi[0] - b.lo[0];
  const bool messages = plan.messages_sent() > 0 || plan.messages_received() > 0;
  // Small boxes: the extra launches would cost more than they could hide.
  const std::int64_t pieces =
      host_kernels && messages && points >= (std::int64_t(1) << 16) ? std::min<std::int64_t>(4, rows) : 1;
  box<Rank> piece = b;
  for (std::int64_t p = 0; p < pieces; ++p) {
    piece.lo[0] = b.lo[0] + rows * p / pieces;
    piece.hi[0] = b.lo[0] + rows * (p + 1) / pieces;
    if (p > 0 && halo.test()) piece.hi[0] = b.hi[0];  // all arrived: the rest in one go
    launch(piece);
    if (piece.hi[0] == b.hi[0]) break;
  }
}

/// The functor over two ranges of a 1-D block, [low_begin, low_begin +
/// low_count) then [high_begin, ...), as one kernel over their points.
template <class Functor>
struct two_ranges_functor {
  Functor f;
  std::int64_t low_begin, low_count, high_begin;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const {
    f(k < low_count ? low_begin + k : high_begin + (k - low_count));
  }
};
}  // namespace detail

/// y_i = f(nb) at every global i, where nb(d) reads x_{i+d} (|d| <= radius,
/// across ranks through x's ghosts) and nb.index() is the global i. x needs
/// ghost_width() >= radius; at the global ends `bc` applies as in the local
/// stencil (interior_only leaves the radius-wide ends of y unwritten). x and
/// y partitioned alike, distinct. Collective; returns once y's edges are
/// enqueued (the interior overlapped the messages).
///   weft::stencil(u, v, 1, weft::periodic{}, KOKKOS_LAMBDA(const auto& nb) { return nb(-1) - 2 * nb(0) + nb(1); });
template <execution_space Exec, distributed X, distributed Y, boundary Boundary, class F>
void stencil(const Exec& exec, const X& x, const Y& y, int radius, const Boundary& bc, F f) {
  using T = typename X::value_type;
  detail::require_same_layout("weft::stencil", x, y);
  const std::int64_t n = x.global_size();
  const auto exchange_bc = detail::exchange_boundary<T>(bc);
  // Every check, and the arguments every rank must pass alike, settled by
  // all ranks before any acts (see weft::argument_checks).
  detail::collective_check check("weft::stencil");
  check.same("the radius", radius);
  check.require(radius >= 0, "weft::stencil: negative radius ", radius);
  check.require(x.ghost_width() >= radius, "weft::stencil: radius ", radius, " needs ", radius,
                " ghost cells but the input has ", x.ghost_width(), "; construct it with weft::ghosts{", radius, "}");
  check.require(!x.same_data(y), "weft::stencil: input and output are the same vector (", x.global_size(),
                " elements); the stencil reads neighbours while writing");
  if constexpr (std::is_same_v<Boundary, periodic>) {
    check.require(n == 0 || radius <= n, "weft::stencil: periodic radius ", radius, " is wider than extent ", n);
  }
  auto* plan = x.prepare_halo_exchange(check, exchange_bc, radius > 0);
  check.settle_arguments(x.comm());

  const std::int64_t g = x.ghost_width(), m = x.local_size(), offset = x.offset(), r = radius;
  using in_view = std::remove_cvref_t<decltype(x.local_with_ghosts())>;
  using out_view = decltype(y.local());
  detail::static_check_stencil_function<F, in_view, Boundary>();
  // The ghosts hold the boundary values: every read goes straight through.
  const detail::stencil_functor<in_view, out_view, Boundary, detail::interior_mode<F, in_view, Boundary>(), F>
      functor{x.local_with_ghosts(), y.local(), bc, f, detail::point<1>{g}, detail::point<1>{offset - g}, false};
  // Which local points are written: all, or with interior_only those whose
  // global neighbourhood lies inside [0, n).
  std::int64_t lo = 0, hi = m;
  if constexpr (std::is_same_v<Boundary, interior_only>) {
    lo = std::clamp<std::int64_t>(r - offset, 0, m);
    hi = std::clamp<std::int64_t>(n - r - offset, lo, m);
  }
  auto launch = [&](std::int64_t begin, std::int64_t end) {
    begin = std::max(begin, lo);
    end = std::min(end, hi);
    if (begin < end) Kokkos::parallel_for("weft::stencil", detail::range(exec, begin, end), functor);
  };
  if (r == 0) {
    launch(0, m);
    return;
  }
  halo_exchange halo = x.begin_halo_exchange(exec, exchange_bc, *plan);
  // Points within r of an end whose ghosts come from another rank wait for
  // the messages; the rest (ghosts from this rank or a boundary are written
  // when the exchange starts) overlap them.
  const std::int64_t inner_begin = std::min(plan->remote_face(0, 0) ? r : 0, m);
  const std::int64_t inner_end = std::max(m - (plan->remote_face(0, 1) ? r : 0), inner_begin);
  detail::launch_progressing<Exec, 1>(detail::box<1>{{inner_begin}, {inner_end}}, *plan, halo,
                                      [&](const detail::box<1>& b) { launch(b.lo[0], b.hi[0]); });
  halo.wait();
  // Both ends, [0, inner_begin) and [inner_end, m) within [lo, hi), in one launch.
  const std::int64_t low_count = std::max<std::int64_t>(0, std::min(inner_begin, hi) - lo);
  const std::int64_t high_begin = std::max(inner_end, lo);
  const std::int64_t high_count = std::max<std::int64_t>(0, hi - high_begin);
  if (low_count + high_count > 0) {
    Kokkos::parallel_for("weft::stencil", detail::range(exec, low_count + high_count),
                         detail::two_ranges_functor<decltype(functor)>{functor, lo, low_count, high_begin});
  }
}

template <distributed X, distributed Y, boundary Boundary, class F>
void stencil(const X& x, const Y& y, int radius, const Boundary& bc, F f) {
  weft::stencil(detail::dist_exec_t<Y>{}, x, y, radius, bc, f);
}

// ---- On distributed grids ----

namespace detail {
template <int Rank>
box<Rank> intersect(const box<Rank>& a, const box<Rank>& b) {
  box<Rank> c;
  for (int d = 0; d < Rank; ++d) {
    c.lo[d] = a.lo[d] > b.lo[d] ? a.lo[d] : b.lo[d];
    c.hi[d] = a.hi[d] < b.hi[d] ? a.hi[d] : b.hi[d];
  }
  return c;
}
}  // namespace detail

/// out = f(nb) at every point of a 2-D or 3-D grid, nb(di, dj[, dk]) reading
/// `in` at that offset (|offset| <= radius) across ranks through in's halo,
/// nb.index() the global point (a Kokkos::Array). Needs radius <= the halo
/// width, and grid_options::corners for stencils that read diagonal
/// neighbours. Non-periodic outer faces follow `bc` (weft::periodic{} only for
/// a fully periodic grid); interior_only leaves the radius-wide band along
/// non-periodic outer faces unwritten. Collective; computes the block's
/// interior while the halo messages are in flight.
///   weft::stencil(u, v, 1, weft::constant{0.0}, KOKKOS_LAMBDA(const auto& nb) {
///     return nb(0, 0) + a * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0)); });
template <execution_space Exec, grid In, grid Out, boundary Boundary, class F>
void stencil(const Exec& exec, const In& in, const Out& out, int radius, const Boundary& bc, F f) {
  constexpr int R = In::rank;
  using T = typename In::value_type;
  detail::require_same_layout("weft::stencil", in, out);
  const auto exchange_bc = detail::exchange_boundary<T>(bc);
  // Every check, and the arguments every rank must pass alike, settled by
  // all ranks before any acts (see weft::argument_checks).
  detail::collective_check check("weft::stencil");
  check.same("the radius", radius);
  check.require(radius >= 0, "weft::stencil: negative radius ", radius);
  check.require(in.halo_width() >= radius, "weft::stencil: radius ", radius, " needs a halo of ", radius,
                " but the input grid has ", in.halo_width(), "; set grid_options::halo");
  check.require(!in.same_data(out),
                "weft::stencil: input and output are the same grid; the stencil reads neighbours while writing");
  auto* plan = in.prepare_halo_exchange(check, exchange_bc, radius > 0);
  check.settle_arguments(in.comm());

  const std::int64_t h = in.halo_width();
  detail::point<R> m, centre_shift, index_shift;
  detail::box<R> written;
  for (int d = 0; d < R; ++d) {
    m[d] = in.local_extent(d);
    centre_shift[d] = h;
    index_shift[d] = in.offset(d) - h;
    written.lo[d] = 0;
    written.hi[d] = m[d];
    if (std::is_same_v<Boundary, interior_only> && !in.options().periodic[d]) {
      written.lo[d] = std::clamp<std::int64_t>(radius - in.offset(d), 0, m[d]);
      written.hi[d] = std::clamp<std::int64_t>(in.global_extent(d) - radius - in.offset(d), written.lo[d], m[d]);
    }
  }
  using in_view = typename std::remove_cvref_t<In>::storage_type;
  using out_view = decltype(out.interior());
  detail::static_check_stencil_function<F, in_view, Boundary>();
  // The halo holds the boundary values: every read goes straight through.
  const detail::stencil_functor<in_view, out_view, Boundary, detail::interior_mode<F, in_view, Boundary>(), F>
      functor{in.with_halo(), out.interior(), bc, f, centre_shift, index_shift, false};
  auto launch = [&](const detail::box<R>& b) {
    detail::launch_box(exec, "weft::stencil", detail::intersect(b, written), functor);
  };
  if (radius == 0) {
    launch(written);
    return;
  }
  halo_exchange halo = in.begin_halo_exchange(exec, exchange_bc, *plan);
  // Only the bands along faces whose halo comes from other ranks wait for
  // the messages; faces this rank supplies itself (a periodic dimension it
  // spans alone, an outer boundary) are ready once the exchange has started.
  detail::point<R> low, high;
  for (int d = 0; d < R; ++d) {
    low[d] = plan->remote_face(d, 0) ? radius : 0;
    high[d] = plan->remote_face(d, 1) ? radius : 0;
  }
  detail::launch_progressing<Exec, R>(detail::interior_box<R>(m, low, high), *plan, halo, launch);  // overlaps the messages
  halo.wait();
  for (int d = 0; d < R; ++d) {
    detail::launch_band_pair(exec, "weft::stencil", d,
                             detail::intersect(detail::band_slab<R>(m, low, high, d, false), written),
                             detail::intersect(detail::band_slab<R>(m, low, high, d, true), written), functor);
  }
}

template <grid In, grid Out, boundary Boundary, class F>
void stencil(const In& in, const Out& out, int radius, const Boundary& bc, F f) {
  weft::stencil(detail::dist_exec_t<Out>{}, in, out, radius, bc, f);
}

}  // namespace weft
