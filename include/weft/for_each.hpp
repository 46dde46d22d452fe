// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The map family: for_each, for_each_index, transform, fill, copy, iota.
//
// Each takes a Kokkos execution space instance first and enqueues one kernel
// on it, labelled "weft::<algorithm>"; none of them blocks. The overloads
// without an instance run on the view's own execution_space. Views are of
// rank 1, 2 or 3 (iota: rank 1), any standard layout (strided subviews too),
// in memory the space can access; 2-D and 3-D views are walked in the order
// their layout lays them out in memory.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/device_function.hpp"
#include "detail/for_each.hpp"
#include "detail/host_loops.hpp"
#include "detail/overlap.hpp"
#include "detail/policy.hpp"
#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
/// Launches functor over every index of v: on host spaces in row pieces
/// that vectorize at -O2 (unless the view's first dimension is its
/// fastest), elsewhere a range for rank 1 and a 2-D or 3-D box that follows
/// the layout otherwise. The map family's points are independent: each
/// writes only its own element, and outputs are checked to share none with
/// the inputs at other indices.
template <class Exec, class View, class Functor>
void launch_over(const Exec& exec, const char* label, const View& v, const Functor& functor) {
  constexpr int rank = static_cast<int>(View::rank);
  const point<rank> n = extents_of(v);
  if (points_in<rank>(n) == 0) return;
  const bool left = first_dimension_fastest(v);
  if constexpr (host_kernels<Exec>) {
    if (!left) return launch_row_pieces(exec, label, box<rank>{point<rank>{}, n}, functor);
  }
  if constexpr (rank == 1) {
    Kokkos::parallel_for(label, range(exec, n[0]), functor);
  } else {
    launch_md<Exec, rank>(exec, label, n, left, functor);
  }
}

template <class In, class Out>
void check_map_args(const char* algorithm, const In& in, const Out& out) {
  require(same_extents(in, out), algorithm, ": input has extents ", extents_text(in), ", output ", extents_text(out));
  require(may_write_elementwise(in, out), algorithm, ": the output shares elements with the input at other ",
          "indices (", extents_text(in), " elements); pass the same view, or views that do not overlap");
}
}  // namespace detail

/// Calls f(v(i...)) for every element, in parallel and in no particular
/// order; f may modify the element through its reference.
///   weft::for_each(exec, v, KOKKOS_LAMBDA(double& x) { x *= 2; });
template <execution_space Exec, view View, class F>
void for_each(const Exec& exec, const View& v, F f) {
  detail::static_check_device_callable<Exec, F>();
  detail::static_check_view<View>();
  detail::static_check_accessible<Exec, View>();
  if constexpr (View::rank == 1) {
    detail::launch_over(exec, "weft::for_each", v, detail::for_each_functor<View, F>{v, f});
  } else {
    detail::launch_over(exec, "weft::for_each", v, detail::md_for_each_functor<View, F>{v, f});
  }
}

template <view View, class F>
void for_each(const View& v, F f) {
  weft::for_each(detail::default_exec_t<View>{}, v, f);
}

/// Calls f(i, v(i)), f(i, j, v(i, j)) or f(i, j, k, v(i, j, k)) for every
/// element, with its indices (std::int64_t); the same form as on
/// distributed grids, where the indices are global.
///   weft::for_each_index(exec, u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) { x = i + 0.5 * j; });
template <execution_space Exec, view View, class F>
void for_each_index(const Exec& exec, const View& v, F f) {
  detail::static_check_device_callable<Exec, F>();
  detail::static_check_view<View>();
  detail::static_check_accessible<Exec, View>();
  constexpr int rank = static_cast<int>(View::rank);
  if constexpr (rank == 1) {
    detail::launch_over(exec, "weft::for_each_index", v, detail::for_each_index_functor<View, F>{v, f, 0});
  } else {
    detail::launch_over(exec, "weft::for_each_index", v,
                        detail::md_for_each_index_functor<View, F, rank>{v, f, detail::point<rank>{}});
  }
}

template <view View, class F>
void for_each_index(const View& v, F f) {
  weft::for_each_index(detail::default_exec_t<View>{}, v, f);
}

/// out(i...) = f(in(i...)) at every index. in and out must have equal
/// extents; they may be the same view (in place), or share no element.
///   weft::transform(exec, x, y, KOKKOS_LAMBDA(double a) { return 2 * a; });
template <execution_space Exec, view In, view Out, class F>
void transform(const Exec& exec, const In& in, const Out& out, F f) {
  detail::static_check_device_callable<Exec, F>();
  detail::static_check_view<In>();
  detail::static_check_same_rank<In, Out>();
  detail::static_check_accessible<Exec, In, Out>();
  detail::static_check_writable<Out>();
  static_assert(std::is_invocable_v<const F&, detail::const_reference_t<In>>,
                "weft::transform: the operation cannot be called with an element of the input.");
  detail::check_map_args("weft::transform", in, out);
  if constexpr (In::rank == 1) {
    detail::launch_over(exec, "weft::transform", out, detail::transform_functor<In, Out, F>{in, out, f});
  } else {
    detail::launch_over(exec, "weft::transform", out, detail::md_transform_functor<In, Out, F>{in, out, f});
  }
}

template <view In, view Out, class F>
void transform(const In& in, const Out& out, F f) {
  weft::transform(detail::default_exec_t<Out>{}, in, out, f);
}

/// out(i...) = f(in1(i...), in2(i...)); all three extents must be equal.
///   weft::transform(exec, x, y, z, KOKKOS_LAMBDA(double a, double b) { return a + 3 * b; });
template <execution_space Exec, view In1, view In2, view Out, class F>
void transform(const Exec& exec, const In1& in1, const In2& in2, const Out& out, F f) {
  detail::static_check_device_callable<Exec, F>();
  detail::static_check_view<In1>();
  detail::static_check_same_rank<In1, Out>();
  detail::static_check_same_rank<In2, Out>();
  detail::static_check_accessible<Exec, In1, In2, Out>();
  detail::static_check_writable<Out>();
  static_assert(std::is_invocable_v<const F&, detail::const_reference_t<In1>, detail::const_reference_t<In2>>,
                "weft::transform: the operation cannot be called with one element of each input.");
  detail::require(detail::same_extents(in1, out) && detail::same_extents(in2, out), "weft::transform: inputs have extents ",
                  detail::extents_text(in1), " and ", detail::extents_text(in2), ", output ",
                  detail::extents_text(out));
  detail::require(detail::may_write_elementwise(in1, out) && detail::may_write_elementwise(in2, out),
                  "weft::transform: the output shares elements with an input at other indices (",
                  detail::extents_text(out), " elements); pass the same view, or views that do not overlap");
  if constexpr (Out::rank == 1) {
    detail::launch_over(exec, "weft::transform", out,
                        detail::transform2_functor<In1, In2, Out, F>{in1, in2, out, f});
  } else {
    detail::launch_over(exec, "weft::transform", out,
                        detail::md_transform2_functor<In1, In2, Out, F>{in1, in2, out, f});
  }
}

template <view In1, view In2, view Out, class F>
void transform(const In1& in1, const In2& in2, const Out& out, F f) {
  weft::transform(detail::default_exec_t<Out>{}, in1, in2, out, f);
}

/// v(i...) = value at every index.
///   weft::fill(exec, v, 0.0);
template <execution_space Exec, view View, class T>
void fill(const Exec& exec, const View& v, const T& value) {
  detail::static_check_view<View>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  static_assert(std::is_convertible_v<const T&, detail::value_t<View>>,
                "weft::fill: the value cannot be converted to the view's value type.");
  using value_type = detail::value_t<View>;
  const auto converted = static_cast<value_type>(value);
  if constexpr (View::rank == 1) {
    detail::launch_over(exec, "weft::fill", v, detail::fill_functor<View, value_type>{v, converted});
  } else {
    detail::launch_over(exec, "weft::fill", v, detail::md_fill_functor<View, value_type>{v, converted});
  }
}

template <view View, class T>
void fill(const View& v, const T& value) {
  weft::fill(detail::default_exec_t<View>{}, v, value);
}

/// dst(i...) = src(i...) at every index; extents must be equal. Unlike
/// Kokkos::deep_copy it converts value types and takes any layout.
template <execution_space Exec, view Src, view Dst>
void copy(const Exec& exec, const Src& src, const Dst& dst) {
  detail::static_check_view<Src>();
  detail::static_check_same_rank<Src, Dst>();
  detail::static_check_accessible<Exec, Src, Dst>();
  detail::static_check_writable<Dst>();
  static_assert(std::is_assignable_v<typename Dst::reference_type, detail::const_reference_t<Src>>,
                "weft::copy: source elements cannot be assigned to destination elements.");
  detail::require(detail::same_extents(src, dst), "weft::copy: source has extents ", detail::extents_text(src),
                  ", destination ", detail::extents_text(dst));
  detail::require(detail::may_write_elementwise(src, dst), "weft::copy: source and destination share elements at ",
                  "different indices (", detail::extents_text(src), " elements); the copy would read what it has "
                  "written");
  if constexpr (Src::rank == 1) {
    detail::launch_over(exec, "weft::copy", src, detail::copy_functor<Src, Dst>{src, dst});
  } else {
    detail::launch_over(exec, "weft::copy", dst, detail::md_copy_functor<Src, Dst>{src, dst});
  }
}

template <view Src, view Dst>
void copy(const Src& src, const Dst& dst) {
  weft::copy(detail::default_exec_t<Dst>{}, src, dst);
}

/// v(i) = start + i for every i (rank-1 views).
///   weft::iota(exec, v, 1);   // 1, 2, 3, ...
template <execution_space Exec, view View, class T>
void iota(const Exec& exec, const View& v, const T& start) {
  detail::static_check_rank1<View>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  using value_type = detail::value_t<View>;
  detail::launch_over(exec, "weft::iota", v, detail::iota_functor<View, value_type>{v, static_cast<value_type>(start)});
}

template <view View, class T>
void iota(const View& v, const T& start) {
  weft::iota(detail::default_exec_t<View>{}, v, start);
}

}  // namespace weft
