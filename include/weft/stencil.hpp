#pragma once
// Stencils on rank-1, 2 and 3 views, and the boundary conditions they take.
//
//   weft::stencil(exec, in, out, 1, weft::periodic{}, KOKKOS_LAMBDA(const auto& nb) {
//     return 0.25 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
//   });
//
// out at each point = f(nb), where nb(di[, dj[, dk]]) reads `in` at that
// offset from the point (|offset| <= radius in every dimension) and
// nb.index() is the point itself. Points whose whole neighbourhood is inside
// the view run without boundary checks; only the band of width `radius`
// around them pays for the boundary condition. Enqueued on `exec`; does not
// block.

#include "concepts.hpp"
#include "detail/overlap.hpp"
#include "detail/stencil.hpp"
#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <functional>
#include <type_traits>

namespace weft {

/// Boundary: reads past one end wrap around to the other. The radius may not
/// exceed any extent.
struct periodic {};

/// Boundary: reads outside the domain give `value`.
///   weft::constant{0.0}
template <class T>
struct constant {
  T value;
};

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

namespace detail {
/// Fails the build, with a sentence, unless f takes a neighbourhood.
template <class F, class View, class Boundary>
constexpr void static_check_stencil_function() {
  static_assert(takes_any_neighbourhood<F, View, Boundary> ||
                    std::is_invocable_v<const F&, const weft::neighbourhood<View, Boundary>&>,
                "weft::stencil: the stencil function must take the neighbourhood: a generic lambda or a "
                "functor with a templated operator()(const Nb&), or `const weft::neighbourhood<InView, "
                "Boundary>&` where generic device lambdas are not available (nvcc).");
}
}  // namespace detail

/// Applies f at every point of `in`, writing `out`; see the top of this file.
/// in and out must have equal extents and must not overlap; radius >= 0, and
/// with periodic no larger than any extent. Throws weft::error otherwise,
/// before anything runs.
template <execution_space Exec, stencil_view In, stencil_view Out, boundary Boundary, class F>
void stencil(const Exec& exec, const In& in, const Out& out, int radius, const Boundary& bc, F f) {
  constexpr int rank = static_cast<int>(In::rank);
  static_assert(static_cast<int>(Out::rank) == rank,
                "weft::stencil: input and output views must have the same rank.");
  detail::static_check_accessible<Exec, In, Out>();
  detail::static_check_writable<Out>();
  detail::static_check_stencil_function<F, std::remove_cvref_t<In>, Boundary>();

  detail::point<rank> n;
  bool empty = false;
  for (int d = 0; d < rank; ++d) {
    n[d] = detail::extent(in, d);
    empty = empty || n[d] == 0;
    detail::require(in.extent(d) == out.extent(d), "weft::stencil: input extent ", in.extent(d),
                    " and output extent ", out.extent(d), " differ in dimension ", d);
  }
  detail::require(radius >= 0, "weft::stencil: negative radius ", radius);
  detail::require(!detail::share_elements(in, out),
                  "weft::stencil: input and output views overlap (they share elements; ", in.span(), " and ", out.span(),
                  " elements spanned); the stencil reads neighbours while writing");
  if constexpr (std::is_same_v<Boundary, periodic>) {
    for (int d = 0; d < rank && !empty; ++d)
      detail::require(radius <= n[d], "weft::stencil: periodic radius ", radius,
                      " is wider than extent ", n[d], " in dimension ", d);
  }
  if (empty) return;

  const detail::point<rank> zero{};
  using in_view = std::remove_cvref_t<In>;
  detail::launch_box(exec, "weft::stencil", detail::interior_box<rank>(n, radius),
                     detail::stencil_functor<in_view, Out, Boundary, detail::interior_mode<F, in_view, Boundary>(), F>{
                         in, out, bc, f, zero, zero, false});
  if constexpr (!std::is_same_v<Boundary, interior_only>) {
    const detail::stencil_functor<in_view, Out, Boundary, detail::band_mode<F, in_view, Boundary>(), F> band{
        in, out, bc, f, zero, zero, true};
    for (int d = 0; d < rank; ++d)
      detail::launch_band_pair(exec, "weft::stencil", d, detail::band_slab<rank>(n, radius, d, false),
                               detail::band_slab<rank>(n, radius, d, true), band);
  }
}

template <stencil_view In, stencil_view Out, boundary Boundary, class F>
void stencil(const In& in, const Out& out, int radius, const Boundary& bc, F f) {
  weft::stencil(detail::default_exec_t<Out>{}, in, out, radius, bc, f);
}

}  // namespace weft
