// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Stencils on rank-1, 2 and 3 views, and the boundary conditions they take.
//
//   weft::stencil(exec, in, out, 1, weft::periodic{}, KOKKOS_LAMBDA(const auto& nb) {
//     return 0.25 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
//   });
//
// out at each point = f(nb), where nb(di[, dj[, dk]]) reads `in` at that
// offset from the point (within the stencil's reach: |offset| <= radius in
// every dimension, and on the axes only for weft::cross(r)) and nb.index()
// is the point itself. Points whose whole neighbourhood is inside the view
// run without boundary checks; only the band of width `radius` around them
// pays for the boundary condition. weft::fields(...) passes several input
// and output fields to one stencil. Enqueued on `exec`; does not block.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/device_function.hpp"
#include "detail/overlap.hpp"
#include "detail/profiling.hpp"
#include "detail/stencil.hpp"
#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

/// Boundary: reads past one end wrap around to the other. The radius may not
/// exceed any extent.
struct periodic {};

/// Boundary: reads outside the domain give `value`.
/// Distributed halo exchanges and stencils fill with it as the field's value
/// type, and every rank must pass the same: unless the communicator's
/// argument_checks are trusted, the ranks compare it bitwise (floating point
/// by its bits, so -0.0 differs from 0.0 and a NaN equals a NaN with the
/// same bits; complex numbers and arrays part by part; types without
/// padding byte by byte), within the call's one small allreduce. A value
/// type with padding bytes (a struct of a double and an int), whose bytes
/// may differ for equal values, is compared with operator== against rank
/// 0's value instead, which such a type must provide (one more broadcast
/// and allreduce per call). Any difference throws weft::error on every rank.
///   weft::constant{0.0}
template <class T>
struct constant {
  T value;
};
/// \cond
// Aggregate deduction arrives only in clang 17; spelled out for older compilers
// (and kept out of the API reference: it is not an entity of its own).
template <class T>
constant(T) -> constant<T>;
/// \endcond

/// Boundary: reads outside the domain give the nearest edge value.
struct clamp {};

/// Boundary: only points whose whole neighbourhood lies inside are written;
/// the band of width `radius` along the edges of `out` keeps its values.
struct interior_only {};

namespace detail {
template <class B>
struct is_boundary : std::false_type {};
template <>
struct is_boundary<periodic> : std::true_type {};
template <class T>
struct is_boundary<constant<T>> : std::true_type {};
template <>
struct is_boundary<clamp> : std::true_type {};
template <>
struct is_boundary<interior_only> : std::true_type {};

}  // namespace detail

/// One of weft::periodic, weft::constant<T>, weft::clamp, weft::interior_only.
template <class B>
concept boundary = detail::is_boundary<std::remove_cvref_t<B>>::value;

/// The neighbourhood a stencil function receives, as one type that can be
/// named, for stencil functions that cannot be generic. nvcc rejects generic
/// __host__ __device__ lambdas (`KOKKOS_LAMBDA(const auto& nb)`), so on CUDA
/// builds either write a functor with a templated operator(), or
///   using nb_t = weft::neighbourhood<decltype(in), weft::periodic>;
///   weft::stencil(exec, in, out, 1, weft::periodic{}, KOKKOS_LAMBDA(const nb_t& nb) { ... });
/// (for distributed vectors and grids: `decltype(u)::neighbourhood<B>`).
/// Its reads test a flag, set per kernel, for whether the boundary rule
/// applies; generic functions get types that decide this at compile time.
template <class View, class Boundary>
using neighbourhood = detail::neighbourhood<std::remove_cvref_t<View>, Boundary, detail::read_mode::flagged>;

/// Which neighbours a stencil reads: every offset within its radius (box:
/// 9 points in 2-D at radius 1, 27 in 3-D), or only those along the axes
/// (cross, also called star: 5 and 7 points), as PETSc's DMDA has BOX and
/// STAR. Distributed grids exchange the halo cells their stencils may read:
/// faces, edges and corners for box (the default), faces only for cross.
enum class stencil_shape { box, cross };

/// How far a stencil reads: its radius and shape. A plain int radius is a box.
///   weft::stencil(exec, in, out, 1, bc, f);                // box, radius 1: any offset within 1
///   weft::stencil(exec, in, out, weft::cross(1), bc, f);   // only along the axes (5 or 7 points)
struct reach {
  int radius = 0;
  stencil_shape shape = stencil_shape::box;
  constexpr reach(int r, stencil_shape s = stencil_shape::box) : radius(r), shape(s) {}
};

/// A stencil that reads every offset within `radius` (the default).
constexpr reach box(int radius) { return reach(radius, stencil_shape::box); }
/// A stencil that reads only along the axes, up to `radius` from the centre.
constexpr reach cross(int radius) { return reach(radius, stencil_shape::cross); }

namespace detail {
template <class... Fields>
struct field_set {
  tuple<Fields...> items;
  static constexpr std::size_t size = sizeof...(Fields);
};
}  // namespace detail

/// Several fields a stencil reads (or writes) together: views of one rank
/// and extents, or distributed grids (vectors) of one layout. Their value
/// types may differ.
///   weft::stencil(exec, weft::fields(u, v), weft::fields(u_next, v_next), 1, bc, f);
template <class... Fields>
detail::field_set<std::remove_cvref_t<Fields>...> fields(const Fields&... f) {
  static_assert(sizeof...(Fields) > 0, "weft::fields: pass at least one field.");
  return {detail::tuple<std::remove_cvref_t<Fields>...>(f...)};
}

namespace detail {
template <class X>
struct is_field_set : std::false_type {};
template <class... F>
struct is_field_set<field_set<F...>> : std::true_type {};

/// Fails the build, with a sentence, unless f takes one neighbourhood per input.
template <class F, class Boundary, class... Views>
constexpr void static_check_stencil_function() {
  static_assert(takes_any_neighbourhood<F, Boundary, Views...> || takes_named_neighbourhood<F, Boundary, Views...>,
                "weft::stencil: the stencil function must take the neighbourhood of each input, in order: a "
                "generic lambda or a functor with a templated operator()(const Nb&...), or `const "
                "weft::neighbourhood<InView, Boundary>&` per input where generic device lambdas are not "
                "available (nvcc).");
}

/// Whether output K shares an element with any later output.
template <std::size_t K, class Outs, std::size_t... O>
bool shares_with_later(const Outs& out, std::index_sequence<O...>) {
  return ((O > K && share_elements(get<K>(out), get<O>(out))) || ...);
}

/// The local stencil over tuples of input and output views.
template <class Exec, class Boundary, class F, class... In, class... Out, std::size_t... I, std::size_t... O>
void stencil_views(const Exec& exec, const tuple<In...>& in, const tuple<Out...>& out, reach r, const Boundary& bc,
                   F f, std::index_sequence<I...>, std::index_sequence<O...>) {
  using first_in = std::remove_cvref_t<decltype(get<0>(in))>;
  constexpr int rank = static_cast<int>(first_in::rank);
  static_assert(((static_cast<int>(In::rank) == rank) && ...) && ((static_cast<int>(Out::rank) == rank) && ...),
                "weft::stencil: input and output views must have the same rank.");
  static_assert((writable_view<Out> && ...), "weft: the output view has a const value type; pass a view whose "
                                              "elements can be written.");
  static_check_accessible<Exec, In..., Out...>();
  static_check_stencil_function<F, Boundary, In...>();

  const auto& lead = get<0>(in);
  const point<rank> n = extents_of(lead);
  bool empty = false;
  for (int d = 0; d < rank; ++d) empty = empty || n[d] == 0;
  // Extents: every input and output like the first input.
  std::string problem;
  auto same_as_lead = [&](const auto& v, const char* what) {
    for (int d = 0; d < rank && problem.empty(); ++d)
      if (extent(v, d) != n[d])
        problem = std::string("weft::stencil: input extent ") + std::to_string(n[d]) + " and " + what + " extent " +
                  std::to_string(v.extent(d)) + " differ in dimension " + std::to_string(d);
  };
  (same_as_lead(get<I>(in), "input"), ...);
  (same_as_lead(get<O>(out), "output"), ...);
  require(problem.empty(), problem);
  require(r.radius >= 0, "weft::stencil: negative radius ", r.radius);
  // No output may share an element with an input or another output.
  bool overlap = false;
  auto against_inputs = [&](const auto& o) { ((overlap = overlap || share_elements(o, get<I>(in))), ...); };
  (against_inputs(get<O>(out)), ...);
  overlap = overlap || (shares_with_later<O>(out, std::index_sequence<O...>{}) || ...);
  require(!overlap, "weft::stencil: input and output views overlap (they share elements; ", lead.span(),
          " elements spanned); the stencil reads neighbours while writing");
  if constexpr (std::is_same_v<Boundary, periodic>) {
    for (int d = 0; d < rank && !empty; ++d)
      require(r.radius <= n[d], "weft::stencil: periodic radius ", r.radius, " is wider than extent ", n[d],
              " in dimension ", d);
  }
  if (empty) return;

  const Kokkos::Array<point<rank>, sizeof...(In)> no_shift{};
  const reach_limits limits{r.radius, r.shape == stencil_shape::cross};
  using ins = tuple<In...>;
  using outs = tuple<Out...>;
  launch_box(exec, "weft::stencil", interior_box<rank>(n, r.radius),
             stencil_functor<ins, outs, Boundary, interior_mode<F, Boundary, In...>(), F>{
                 in, out, bc, f, no_shift, point<rank>{}, limits, false});
  if constexpr (!std::is_same_v<Boundary, interior_only>) {
    const stencil_functor<ins, outs, Boundary, band_mode<F, Boundary, In...>(), F> band{
        in, out, bc, f, no_shift, point<rank>{}, limits, true};
    for (int d = 0; d < rank; ++d)
      launch_band_pair(exec, "weft::stencil", d, band_slab<rank>(n, r.radius, d, false),
                       band_slab<rank>(n, r.radius, d, true), band);
  }
}
}  // namespace detail

/// A stencil over several fields at once: at every point, f receives one
/// neighbourhood per input (in order; each reads its own field with the
/// boundary `bc`, converted to its value type) and returns one value per
/// output, as weft::values{...} (or a plain value for one output). One
/// kernel per region computes every output, so terms the outputs share are
/// computed once per point. Inputs and outputs are views of one rank and
/// extents, of any value types; no output may share an element with an
/// input or another output.
///   weft::stencil(exec, weft::fields(u, v), weft::fields(u2, v2), 1, weft::clamp{},
///                 KOKKOS_LAMBDA(const auto& u, const auto& v) {
///     const double uvv = u(0, 0) * v(0, 0) * v(0, 0);   // shared by both outputs
///     return weft::values{u(0, 0) + dt * (du * lap(u) - uvv + f * (1 - u(0, 0))),
///                         v(0, 0) + dt * (dv * lap(v) + uvv - (f + k) * v(0, 0))};
///   });
template <execution_space Exec, class... In, class... Out, boundary Boundary, class F>
  requires((stencil_view<In> && ...) && (stencil_view<Out> && ...))
void stencil(const Exec& exec, const detail::field_set<In...>& in, const detail::field_set<Out...>& out, reach r,
             const Boundary& bc, F f) {
  const detail::profiling_region region("weft::stencil");
  detail::static_check_device_callable<Exec, F>();
  detail::stencil_views(exec, in.items, out.items, r, bc, f, std::index_sequence_for<In...>{},
                        std::index_sequence_for<Out...>{});
}

template <class... In, class... Out, boundary Boundary, class F>
  requires((stencil_view<In> && ...) && (stencil_view<Out> && ...))
void stencil(const detail::field_set<In...>& in, const detail::field_set<Out...>& out, reach r, const Boundary& bc,
             F f) {
  using first_out = std::remove_cvref_t<decltype(detail::get<0>(out.items))>;
  weft::stencil(detail::default_exec_t<first_out>{}, in, out, r, bc, f);
}

/// Applies f at every point of `in`, writing `out`; see the top of this
/// file. in and out must have equal extents and share no element; the
/// radius >= 0, and with periodic no larger than any extent. Throws
/// weft::error otherwise, before anything runs.
template <execution_space Exec, stencil_view In, stencil_view Out, boundary Boundary, class F>
void stencil(const Exec& exec, const In& in, const Out& out, reach r, const Boundary& bc, F f) {
  weft::stencil(exec, weft::fields(in), weft::fields(out), r, bc, f);
}

template <stencil_view In, stencil_view Out, boundary Boundary, class F>
void stencil(const In& in, const Out& out, reach r, const Boundary& bc, F f) {
  weft::stencil(detail::default_exec_t<Out>{}, in, out, r, bc, f);
}

/// The element of `v` at a point: v(p) in 1-D, v(p[0], p[1]) in 2-D, ...;
/// with nb.index() locally, or nb.local_index() on grids, it reads another
/// field at the stencil's point.
///   const double c = weft::at(coefficient, nb.index());
template <class View, class Index>
KOKKOS_INLINE_FUNCTION decltype(auto) at(const View& v, const Index& p) {
  if constexpr (View::rank == 1) {
    if constexpr (std::is_integral_v<Index>) return v(p);
    else return v(p[0]);
  } else if constexpr (View::rank == 2) {
    return v(p[0], p[1]);
  } else {
    return v(p[0], p[1], p[2]);
  }
}

}  // namespace weft
