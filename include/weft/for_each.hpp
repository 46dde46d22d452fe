#pragma once
// The map family: for_each, transform, fill, copy, iota.
//
// Each takes a Kokkos execution space instance first and enqueues one kernel
// on it, labelled "weft::<algorithm>"; none of them blocks. The overloads
// without an instance run on the view's own execution_space. Views are rank-1,
// any layout (strided subviews too), in memory the space can access.

#include "concepts.hpp"
#include "detail/for_each.hpp"
#include "detail/overlap.hpp"
#include "detail/policy.hpp"
#include "error.hpp"

#include <Kokkos_Core.hpp>

#include <type_traits>

namespace weft {

/// Calls f(v(i)) for every element, in parallel and in no particular order;
/// f may modify the element through its reference.
///   weft::for_each(exec, v, KOKKOS_LAMBDA(double& x) { x *= 2; });
template <execution_space Exec, rank1_view View, class F>
void for_each(const Exec& exec, const View& v, F f) {
  detail::static_check_accessible<Exec, View>();
  Kokkos::parallel_for("weft::for_each", detail::range(exec, detail::extent(v)),
                       detail::for_each_functor<View, F>{v, f});
}

template <rank1_view View, class F>
void for_each(const View& v, F f) {
  weft::for_each(detail::default_exec_t<View>{}, v, f);
}

/// out(i) = f(in(i)) for every i. in and out must have equal extents; they
/// may be the same view.
///   weft::transform(exec, x, y, KOKKOS_LAMBDA(double a) { return 2 * a; });
template <execution_space Exec, rank1_view In, rank1_view Out, class F>
void transform(const Exec& exec, const In& in, const Out& out, F f) {
  detail::static_check_accessible<Exec, In, Out>();
  detail::static_check_writable<Out>();
  static_assert(std::is_invocable_v<const F&, detail::const_reference_t<In>>,
                "weft::transform: the operation cannot be called with an element of the input.");
  detail::require(in.extent(0) == out.extent(0), "weft::transform: input has ", in.extent(0),
                  " elements, output has ", out.extent(0));
  detail::require(detail::may_write_elementwise(in, out), "weft::transform: the output shares elements with the ",
                  "input at other indices (", in.extent(0), " elements); pass the same view, or views that do not "
                  "overlap");
  Kokkos::parallel_for("weft::transform", detail::range(exec, detail::extent(in)),
                       detail::transform_functor<In, Out, F>{in, out, f});
}

template <rank1_view In, rank1_view Out, class F>
void transform(const In& in, const Out& out, F f) {
  weft::transform(detail::default_exec_t<Out>{}, in, out, f);
}

/// out(i) = f(in1(i), in2(i)) for every i; all three extents must be equal.
///   weft::transform(exec, x, y, z, KOKKOS_LAMBDA(double a, double b) { return a + 3 * b; });
template <execution_space Exec, rank1_view In1, rank1_view In2, rank1_view Out, class F>
void transform(const Exec& exec, const In1& in1, const In2& in2, const Out& out, F f) {
  detail::static_check_accessible<Exec, In1, In2, Out>();
  detail::static_check_writable<Out>();
  static_assert(std::is_invocable_v<const F&, detail::const_reference_t<In1>,
                                    detail::const_reference_t<In2>>,
                "weft::transform: the operation cannot be called with one element of each input.");
  detail::require(in1.extent(0) == in2.extent(0) && in1.extent(0) == out.extent(0),
                  "weft::transform: inputs have ", in1.extent(0), " and ", in2.extent(0),
                  " elements, output has ", out.extent(0));
  detail::require(detail::may_write_elementwise(in1, out) && detail::may_write_elementwise(in2, out),
                  "weft::transform: the output shares elements with an input at other indices (", out.extent(0),
                  " elements); pass the same view, or views that do not overlap");
  Kokkos::parallel_for("weft::transform", detail::range(exec, detail::extent(out)),
                       detail::transform2_functor<In1, In2, Out, F>{in1, in2, out, f});
}

template <rank1_view In1, rank1_view In2, rank1_view Out, class F>
void transform(const In1& in1, const In2& in2, const Out& out, F f) {
  weft::transform(detail::default_exec_t<Out>{}, in1, in2, out, f);
}

/// v(i) = value for every i.
///   weft::fill(exec, v, 0.0);
template <execution_space Exec, rank1_view View, class T>
void fill(const Exec& exec, const View& v, const T& value) {
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  static_assert(std::is_convertible_v<const T&, detail::value_t<View>>,
                "weft::fill: the value cannot be converted to the view's value type.");
  Kokkos::parallel_for("weft::fill", detail::range(exec, detail::extent(v)),
                       detail::fill_functor<View, detail::value_t<View>>{v, static_cast<detail::value_t<View>>(value)});
}

template <rank1_view View, class T>
void fill(const View& v, const T& value) {
  weft::fill(detail::default_exec_t<View>{}, v, value);
}

/// dst(i) = src(i) for every i; extents must be equal. Unlike
/// Kokkos::deep_copy it converts value types and takes any layout.
template <execution_space Exec, rank1_view Src, rank1_view Dst>
void copy(const Exec& exec, const Src& src, const Dst& dst) {
  detail::static_check_accessible<Exec, Src, Dst>();
  detail::static_check_writable<Dst>();
  static_assert(std::is_assignable_v<typename Dst::reference_type, detail::const_reference_t<Src>>,
                "weft::copy: source elements cannot be assigned to destination elements.");
  detail::require(src.extent(0) == dst.extent(0), "weft::copy: source has ", src.extent(0),
                  " elements, destination has ", dst.extent(0));
  detail::require(detail::may_write_elementwise(src, dst), "weft::copy: source and destination share elements at ",
                  "different indices (", src.extent(0), " elements); the copy would read what it has written");
  Kokkos::parallel_for("weft::copy", detail::range(exec, detail::extent(src)),
                       detail::copy_functor<Src, Dst>{src, dst});
}

template <rank1_view Src, rank1_view Dst>
void copy(const Src& src, const Dst& dst) {
  weft::copy(detail::default_exec_t<Dst>{}, src, dst);
}

/// v(i) = start + i for every i.
///   weft::iota(exec, v, 1);   // 1, 2, 3, ...
template <execution_space Exec, rank1_view View, class T>
void iota(const Exec& exec, const View& v, const T& start) {
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  using value_type = detail::value_t<View>;
  Kokkos::parallel_for("weft::iota", detail::range(exec, detail::extent(v)),
                       detail::iota_functor<View, value_type>{v, static_cast<value_type>(start)});
}

template <rank1_view View, class T>
void iota(const View& v, const T& start) {
  weft::iota(detail::default_exec_t<View>{}, v, start);
}

}  // namespace weft
