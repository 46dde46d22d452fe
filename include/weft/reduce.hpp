#pragma once
// The reduction family: reduce, transform_reduce, min_loc, max_loc.
//
// Each returns its result to the host and so waits for the kernel, fencing
// only the given instance. Operations must be associative and commutative
// (the order of combination is unspecified) but need no identity element:
// any such callable works, a lambda or a struct. With weft's function
// objects on arithmetic types the known identity gives a cheaper kernel.

#include "concepts.hpp"
#include "detail/reduce.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace weft {

/// init op f(a(0)) op f(a(1)) ... in unspecified order and grouping.
///   double s2 = weft::transform_reduce(exec, x, 0.0, weft::plus{}, KOKKOS_LAMBDA(double a) { return a * a; });
template <execution_space Exec, rank1_view View, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const Exec& exec, const View& v, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  detail::static_check_accessible<Exec, View>();
  detail::static_check_accumulator<T, std::invoke_result_t<const UnaryOp&, detail::const_reference_t<View>>>();
  return detail::fold_range<T>(exec, "weft::transform_reduce", detail::extent(v), init, reduce_op,
                               detail::unary_map<View, UnaryOp>{v, unary_op});
}

template <rank1_view View, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const View& v, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  return weft::transform_reduce(detail::default_exec_t<View>{}, v, init, reduce_op, unary_op);
}

/// init op f(a(0), b(0)) op f(a(1), b(1)) ...; a and b must have equal extents.
///   double dot = weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{});
template <execution_space Exec, rank1_view A, rank1_view B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const Exec& exec, const A& a, const B& b, T init, ReduceOp reduce_op,
                   BinaryOp binary_op) {
  detail::static_check_accessible<Exec, A, B>();
  detail::static_check_accumulator<T, std::invoke_result_t<const BinaryOp&, detail::const_reference_t<A>,
                                                           detail::const_reference_t<B>>>();
  detail::require(a.extent(0) == b.extent(0), "weft::transform_reduce: inputs have ", a.extent(0),
                  " and ", b.extent(0), " elements");
  return detail::fold_range<T>(exec, "weft::transform_reduce", detail::extent(a), init, reduce_op,
                               detail::binary_map<A, B, BinaryOp>{a, b, binary_op});
}

template <rank1_view A, rank1_view B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  return weft::transform_reduce(detail::default_exec_t<A>{}, a, b, init, reduce_op, binary_op);
}

/// init op v(0) op v(1) ... in unspecified order and grouping; init when v is empty.
///   int biggest = weft::reduce(exec, v, INT_MIN, weft::maximum{});
template <execution_space Exec, rank1_view View, class T, class Op>
T reduce(const Exec& exec, const View& v, T init, Op op) {
  detail::static_check_accessible<Exec, View>();
  detail::static_check_accumulator<T, detail::value_t<View>>();
  return detail::fold_range<T>(exec, "weft::reduce", detail::extent(v), init, op,
                               detail::element_map<View>{v});
}

template <rank1_view View, class T, class Op>
T reduce(const View& v, T init, Op op) {
  return weft::reduce(detail::default_exec_t<View>{}, v, init, op);
}

/// init + v(0) + v(1) + ...
template <execution_space Exec, rank1_view View, class T>
T reduce(const Exec& exec, const View& v, T init) {
  return weft::reduce(exec, v, init, plus<>{});
}

template <rank1_view View, class T>
T reduce(const View& v, T init) {
  return weft::reduce(detail::default_exec_t<View>{}, v, init, plus<>{});
}

/// The sum of the elements, T{} when v is empty.
///   double total = weft::reduce(exec, v);
template <execution_space Exec, rank1_view View>
detail::value_t<View> reduce(const Exec& exec, const View& v) {
  return weft::reduce(exec, v, detail::value_t<View>{}, plus<>{});
}

template <rank1_view View>
detail::value_t<View> reduce(const View& v) {
  return weft::reduce(detail::default_exec_t<View>{}, v);
}

/// A value and where it sits: what min_loc and max_loc return.
template <class T>
struct loc {
  T value;
  std::int64_t index;
  friend bool operator==(const loc&, const loc&) = default;
};

namespace detail {
template <bool Largest, class Exec, class View>
loc<value_t<View>> extremum(const Exec& exec, const View& v, const char* label) {
  static_check_accessible<Exec, View>();
  require(v.extent(0) > 0, label, ": empty input (0 elements) has no ",
          Largest ? "maximum" : "minimum");
  const auto result = extremum_partial<Largest>(exec, v, label);
  return {result.value, result.index};
}
}  // namespace detail

/// The smallest element (by operator<) and its index, the smallest index on
/// ties; if there is a NaN, the first NaN and its index (NaN propagates, as
/// in IEEE 754-2019's minimum). The same answer on any number of threads.
/// Throws weft::error on empty input.
///   auto [value, index] = weft::min_loc(exec, v);
template <execution_space Exec, rank1_view View>
loc<detail::value_t<View>> min_loc(const Exec& exec, const View& v) {
  return detail::extremum<false>(exec, v, "weft::min_loc");
}

template <rank1_view View>
loc<detail::value_t<View>> min_loc(const View& v) {
  return weft::min_loc(detail::default_exec_t<View>{}, v);
}

/// The largest element (by operator<) and its index, the smallest index on
/// ties; if there is a NaN, the first NaN and its index. Throws weft::error
/// on empty input.
template <execution_space Exec, rank1_view View>
loc<detail::value_t<View>> max_loc(const Exec& exec, const View& v) {
  return detail::extremum<true>(exec, v, "weft::max_loc");
}

template <rank1_view View>
loc<detail::value_t<View>> max_loc(const View& v) {
  return weft::max_loc(detail::default_exec_t<View>{}, v);
}

}  // namespace weft
