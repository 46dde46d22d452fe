// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Stencils on distributed vectors (1-D) and grids (2-D, 3-D), of one field
// or several, overlapping the halo exchange with the interior: agree on the
// arguments, post the ghost messages of every input, compute the points
// that need no ghost from another rank, wait, compute the bands.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/device_function.hpp"
#include "../detail/host_kernels.hpp"
#include "../detail/profiling.hpp"
#include "../stencil.hpp"
#include "for_each.hpp"
#include "grid.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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

/// Runs launch(piece) over box b while messages are in flight. On host
/// execution spaces kernels block, and most MPIs move large messages only
/// inside MPI calls, so the box runs in up to four pieces along dimension 0
/// with test() (MPI_Testall on every exchange) between them (the rest in one
/// piece once everything has arrived). Device kernels are asynchronous: one
/// launch, and the host waits in MPI meanwhile.
template <class Exec, int Rank, class Test, class Launch>
void launch_progressing(const box<Rank>& b, bool messages, Test test, Launch launch) {
  std::int64_t points = 1;
  for (int d = 0; d < Rank; ++d) points *= b.hi[d] > b.lo[d] ? b.hi[d] - b.lo[d] : 0;
  const std::int64_t rows = b.hi[0] - b.lo[0];
  // Small boxes: the extra launches would cost more than they could hide.
  const std::int64_t pieces =
      host_kernels<Exec> && messages && points >= (std::int64_t(1) << 16) ? std::min<std::int64_t>(4, rows) : 1;
  box<Rank> piece = b;
  for (std::int64_t p = 0; p < pieces; ++p) {
    piece.lo[0] = b.lo[0] + rows * p / pieces;
    piece.hi[0] = b.lo[0] + rows * (p + 1) / pieces;
    if (p > 0 && test()) piece.hi[0] = b.hi[0];  // all arrived: the rest in one go
    launch(piece);
    if (piece.hi[0] == b.hi[0]) break;
  }
}

template <int Rank>
box<Rank> intersect(const box<Rank>& a, const box<Rank>& b) {
  box<Rank> c;
  for (int d = 0; d < Rank; ++d) {
    c.lo[d] = a.lo[d] > b.lo[d] ? a.lo[d] : b.lo[d];
    c.hi[d] = a.hi[d] < b.hi[d] ? a.hi[d] : b.hi[d];
  }
  return c;
}

// What the stencil driver needs of a distributed vector or grid: its rank,
// block, place, halo, storage with the halo, and the owned block as a view.
template <class X>
struct stencil_layout;

template <class T, class M>
struct stencil_layout<distributed_vector<T, M>> {
  static constexpr int rank = 1;
  using object = distributed_vector<T, M>;
  static point<1> block(const object& x) { return point_at(x.local_size()); }
  static point<1> offset(const object& x) { return point_at(x.offset()); }
  static point<1> whole(const object& x) { return point_at(x.global_size()); }
  static bool periodic(const object&, int) { return false; }
  static int halo(const object& x) { return x.halo_width(); }
  static std::string halo_problem(int r, const object& x) {
    return "radius " + std::to_string(r) + " needs " + std::to_string(r) + " ghost cells but the input has " +
           std::to_string(x.halo_width()) + "; construct it with weft::halo{" + std::to_string(r) + "}";
  }
  static auto storage(const object& x) { return x.with_halo(); }
  static auto owned(const object& x) { return x.local(); }
};

template <class T, int R, class M>
struct stencil_layout<distributed_grid<T, R, M>> {
  static constexpr int rank = R;
  using object = distributed_grid<T, R, M>;
  static point<R> block(const object& g) {
    point<R> p;
    for (int d = 0; d < R; ++d) p[d] = g.local_extent(d);
    return p;
  }
  static point<R> offset(const object& g) { return block_offsets(g); }
  static point<R> whole(const object& g) { return global_extents(g); }
  static bool periodic(const object& g, int d) { return g.options().periodic[static_cast<std::size_t>(d)]; }
  static int halo(const object& g) { return g.halo_width(); }
  static std::string halo_problem(int r, const object& g) {
    return "radius " + std::to_string(r) + " needs a halo of " + std::to_string(r) + " but the input grid has " +
           std::to_string(g.halo_width()) + "; set grid_options::halo";
  }
  static auto storage(const object& g) { return g.with_halo(); }
  static auto owned(const object& g) { return g.local(); }
};

/// Whether output K is the same object as any later output.
template <std::size_t K, class Outs, std::size_t... O>
bool same_as_later(const Outs& out, std::index_sequence<O...>) {
  return ((O > K && get<K>(out).same_data(get<O>(out))) || ...);
}

/// The distributed stencil over tuples of input and output objects (all
/// vectors, or all grids of one rank), `lead` the first input.
template <class Exec, class Boundary, class F, class... X, class... Y, std::size_t... I, std::size_t... O>
void distributed_stencil(const Exec& exec, const tuple<X...>& in, const tuple<Y...>& out, reach r,
                         const Boundary& bc, F f, std::index_sequence<I...>, std::index_sequence<O...>) {
  using lead_type = std::remove_cvref_t<decltype(get<0>(in))>;
  using layout = stencil_layout<lead_type>;
  constexpr int R = layout::rank;
  static_assert(((stencil_layout<X>::rank == R) && ...) && ((stencil_layout<Y>::rank == R) && ...),
                "weft::stencil: the inputs and outputs must all be distributed vectors, or all grids of one rank.");
  const lead_type& lead = get<0>(in);
  // Layouts are agreed at construction: these come out alike on every rank.
  (require_same_layout("weft::stencil", lead, get<I>(in)), ...);
  (require_same_layout("weft::stencil", lead, get<O>(out)), ...);

  // Every check, and the arguments every rank must pass alike, settled
  // before any rank acts on them (see weft::argument_checks): by one
  // allreduce for the call, whatever the number of fields, or by the
  // neighbours (below).
  collective_check check("weft::stencil");
  check.same("the radius", r.radius);
  check.same("the stencil shape (0 box, 1 cross)", static_cast<std::int64_t>(r.shape));
  check.require(r.radius >= 0, "weft::stencil: negative radius ", r.radius);
  auto input_checks = [&](const auto& x) {
    using L = stencil_layout<std::remove_cvref_t<decltype(x)>>;
    if (L::halo(x) < r.radius) check.require(false, "weft::stencil: ", L::halo_problem(r.radius, x));
    ((check.require(!x.same_data(get<O>(out)), "weft::stencil: an input and an output are the same ",
                    R == 1 ? "vector" : "grid", "; the stencil reads neighbours while writing")),
     ...);
  };
  (input_checks(get<I>(in)), ...);
  check.require(!(same_as_later<O>(out, std::index_sequence<O...>{}) || ...), "weft::stencil: two outputs are the ",
                "same ", R == 1 ? "vector" : "grid");
  const point<R> whole = layout::whole(lead);
  if constexpr (std::is_same_v<Boundary, periodic>) {
    for (int d = 0; d < R; ++d)
      check.require(whole[d] == 0 || r.radius <= whole[d], "weft::stencil: periodic radius ", r.radius,
                    " is wider than extent ", whole[d], " in dimension ", d);
  }
  const auto exchange_bcs =
      tuple<decltype(exchange_boundary<typename X::value_type>(bc))...>(exchange_boundary<typename X::value_type>(bc)...);
  // Each input's halo is filled in the shape the stencil reads (a cross
  // reach needs faces only), whatever its grid_options::shape says.
  const tuple<copy_exchanger<typename X::value_type, typename X::memory_space>*...> plans(
      halo_access::prepare(get<I>(in), check, get<I>(exchange_bcs), r.shape, r.radius > 0)...);
  // Once every input has had an exchange settled across all ranks, the
  // check goes to the neighbours only, with the halo messages (see
  // detail::neighbour_agreement): no global synchronisation per step. The
  // inputs are laid out alike, so they have the same neighbours.
  std::shared_ptr<neighbour_check> neighbours;
  if (lead.comm().checks() == argument_checks::agreed && (halo_access::state(get<I>(in)).peers && ...)) {
    neighbours =
        std::make_shared<neighbour_check>(check, lead.comm(), *halo_access::state(lead).peers, "weft::stencil");
    (agree_on_boundary_value<typename X::value_type>(lead.comm(), get<I>(exchange_bcs), "weft::stencil"), ...);
    if (check.failed_here() || r.radius == 0) neighbours->conclude();  // throws if any disagreed or failed
  } else {
    check.settle_arguments(lead.comm());
    (agree_on_boundary_value<typename X::value_type>(lead.comm(), get<I>(exchange_bcs), "weft::stencil"), ...);
    if (r.radius > 0) (halo_access::learn_peers(get<I>(in)), ...);
  }

  // Which block points are written: all, or with interior_only those whose
  // global neighbourhood lies inside along every non-periodic dimension.
  const point<R> m = layout::block(lead), offset = layout::offset(lead);
  box<R> written;
  for (int d = 0; d < R; ++d) {
    written.lo[d] = 0;
    written.hi[d] = m[d];
    if (std::is_same_v<Boundary, interior_only> && !layout::periodic(lead, d)) {
      written.lo[d] = std::clamp<std::int64_t>(r.radius - offset[d], 0, m[d]);
      written.hi[d] = std::clamp<std::int64_t>(whole[d] - r.radius - offset[d], written.lo[d], m[d]);
    }
  }
  // Reads go straight to the storage: the halo holds the boundary values.
  using ins = tuple<decltype(stencil_layout<X>::storage(std::declval<const X&>()))...>;
  using outs = tuple<decltype(stencil_layout<Y>::owned(std::declval<const Y&>()))...>;
  static_check_stencil_function<F, Boundary, decltype(stencil_layout<X>::storage(std::declval<const X&>()))...>();
  Kokkos::Array<point<R>, sizeof...(X)> centre_shift;
  auto shift_of = [](const auto& x) {
    point<R> s;
    for (int d = 0; d < R; ++d) s[d] = stencil_layout<std::remove_cvref_t<decltype(x)>>::halo(x);
    return s;
  };
  ((centre_shift[I] = shift_of(get<I>(in))), ...);
  constexpr read_mode mode =
      interior_mode<F, Boundary, decltype(stencil_layout<X>::storage(std::declval<const X&>()))...>();
  const stencil_functor<ins, outs, Boundary, mode, F> functor{
      ins(stencil_layout<X>::storage(get<I>(in))...),
      outs(stencil_layout<Y>::owned(get<O>(out))...),
      bc,
      f,
      centre_shift,
      offset,
      reach_limits{r.radius, r.shape == stencil_shape::cross},
      false};
  auto launch = [&](const box<R>& b) { launch_box(exec, "weft::stencil", intersect(b, written), functor); };
  if (r.radius == 0) {
    launch(written);
    return;
  }
  // Every input's exchange starts together; the interior overlaps them all.
  std::vector<halo_exchange> halos;
  halos.reserve(sizeof...(X));
  (halos.push_back(halo_access::begin(get<I>(in), exec, get<I>(exchange_bcs), *get<I>(plans), neighbours)), ...);
  // Only the bands along faces whose halo comes from other ranks (for any
  // input) wait for the messages; faces this rank supplies itself (a
  // periodic dimension it spans alone, an outer boundary) are ready once
  // the exchanges have started.
  point<R> low{}, high{};
  bool messages = false;
  auto faces_of = [&](const auto& exchanger) {
    const auto& plan = exchanger.plan();
    for (int d = 0; d < R; ++d) {
      if (plan.remote_face(d, 0)) low[d] = r.radius;
      if (plan.remote_face(d, 1)) high[d] = r.radius;
    }
    messages = messages || plan.messages_sent() > 0 || plan.messages_received() > 0;
  };
  (faces_of(*get<I>(plans)), ...);
  auto test_all = [&] {
    bool all = true;
    for (auto& h : halos) all = h.test() && all;  // test every one: each lets MPI progress
    return all;
  };
  launch_progressing<Exec, R>(interior_box<R>(m, low, high), messages, test_all, launch);  // overlaps the messages
  for (auto& h : halos) h.wait();
  for (int d = 0; d < R; ++d) {
    launch_band_pair(exec, "weft::stencil", d, intersect(band_slab<R>(m, low, high, d, false), written),
                     intersect(band_slab<R>(m, low, high, d, true), written), functor);
  }
}

}  // namespace detail

/// A stencil over distributed vectors or grids, of one field or several
/// (weft::fields(...)), as the local stencil computes it over one big view:
/// at every point f receives the neighbourhood of each input, reading across
/// ranks through its halo (nb(di[, dj[, dk]]) within the stencil's reach;
/// nb.index() the global point, nb.local_index() the point in the block),
/// and returns the output's value (weft::values{...}, one per output, for
/// several). Inputs need a halo width of at least the radius; their halos
/// are filled in the stencil's shape (faces only for weft::cross(r), else
/// faces, edges and corners). At the global edges `bc` applies as in
/// the local stencil (interior_only leaves the radius-wide band along
/// non-periodic outer faces unwritten; weft::periodic{} on grids only if
/// every dimension is periodic). Inputs and outputs laid out alike; no
/// output may be an input. Collective: the ranks agree on the reach and the
/// boundary, every input's halo exchange starts together, the block's
/// interior is computed while the messages are in flight, then the bands.
///   weft::stencil(u, v, 1, weft::constant{0.0}, KOKKOS_LAMBDA(const auto& nb) {
///     return nb(0, 0) + a * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0)); });
template <execution_space Exec, class... X, class... Y, boundary Boundary, class F>
requires((distributed<X> && ...) &&
         (distributed<Y> && ...)) void stencil(const Exec& exec, const detail::field_set<X...>& in,
                                               const detail::field_set<Y...>& out, reach r, const Boundary& bc, F f) {
  const detail::profiling_region region("weft::stencil");
  detail::static_check_device_callable<Exec, F>();
  detail::distributed_stencil(exec, in.items, out.items, r, bc, f, std::index_sequence_for<X...>{},
                              std::index_sequence_for<Y...>{});
}

template <class... X, class... Y, boundary Boundary, class F>
requires((distributed<X> && ...) && (distributed<Y> && ...)) void stencil(const detail::field_set<X...>& in,
                                                                          const detail::field_set<Y...>& out, reach r,
                                                                          const Boundary& bc, F f) {
  using first_out = std::remove_cvref_t<decltype(detail::get<0>(out.items))>;
  weft::stencil(detail::dist_exec_t<first_out>{}, in, out, r, bc, f);
}

/// The single-field forms: y = f(nb of x) on distributed vectors, out =
/// f(nb of in) on grids.
///   weft::stencil(u, v, 1, weft::periodic{}, KOKKOS_LAMBDA(const auto& nb) { return nb(-1) - 2 * nb(0) + nb(1); });
template <execution_space Exec, class X, class Y, boundary Boundary, class F>
requires(distributed<X>&& distributed<Y>) void stencil(const Exec& exec, const X& x, const Y& y, reach r,
                                                       const Boundary& bc, F f) {
  weft::stencil(exec, weft::fields(x), weft::fields(y), r, bc, f);
}

template <class X, class Y, boundary Boundary, class F>
requires(distributed<X>&& distributed<Y>) void stencil(const X& x, const Y& y, reach r, const Boundary& bc, F f) {
  weft::stencil(detail::dist_exec_t<Y>{}, x, y, r, bc, f);
}

}  // namespace weft
