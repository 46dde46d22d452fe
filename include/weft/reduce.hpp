// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The reduction family: reduce, transform_reduce, min_loc, max_loc, on
// views of rank 1, 2 or 3.
//
// Each returns its result to the host and so waits for the kernel, fencing
// only the given instance. Operations must be associative and commutative
// (the order of combination is unspecified) but need no identity element:
// any such callable works, a lambda or a struct. With weft's function
// objects on arithmetic types the known identity gives a cheaper kernel.
// 2-D and 3-D views are folded row by row in row-major order whatever their
// layout, so a LayoutLeft and a LayoutRight view of the same values give the
// same bits (on one thread count; a different one may group differently, as
// for rank-1 views).
//
// With weft::reproducible_plus and a float or double accumulator, sums and
// dot products are reproducible: the same bits for any thread count,
// backend, layout and order of the elements (see reproducible.hpp).

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/device_function.hpp"
#include "detail/policy.hpp"
#include "detail/reduce.hpp"
#include "detail/reproducible.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <array>
#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
/// init op map(every index of the box of `v`'s extents), on any rank.
template <class T, class Exec, class View, class Op, class MapRank1, class MapMd>
T fold_view(const Exec& exec, const char* label, const View& v, const T& init, Op op, MapRank1 map1, MapMd map_md) {
  constexpr int rank = static_cast<int>(View::rank);
  if constexpr (reproducible_fold<Op, T>) {
    if constexpr (rank == 1) return repro_result(repro_fold_range(exec, label, extent(v), map1), init);
    else return repro_result(repro_fold_box<Exec, rank>(exec, label, extents_of(v), map_md), init);
  }
  optional_value<T> part;
  if constexpr (rank == 1) part = fold_partial<T>(exec, label, extent(v), op, map1);
  else part = fold_partial_md<T, Exec, rank>(exec, label, extents_of(v), first_dimension_fastest(v), op, map_md);
  return part.valid ? T(op(init, part.value)) : init;
}
}  // namespace detail

/// init op f(v(i...)) op ... over every element, in unspecified order and grouping.
///   double s2 = weft::transform_reduce(exec, x, 0.0, weft::plus{}, KOKKOS_LAMBDA(double a) { return a * a; });
template <execution_space Exec, view View, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const Exec& exec, const View& v, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  detail::static_check_device_callable<Exec, ReduceOp, UnaryOp>();
  detail::static_check_view<View>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_accumulator<T, std::invoke_result_t<const UnaryOp&, detail::const_reference_t<View>>>();
  return detail::fold_view<T>(exec, "weft::transform_reduce", v, init, reduce_op,
                              detail::unary_map<View, UnaryOp>{v, unary_op},
                              detail::md_unary_map<View, UnaryOp>{v, unary_op});
}

template <view View, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const View& v, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  return weft::transform_reduce(detail::default_exec_t<View>{}, v, init, reduce_op, unary_op);
}

/// init op f(a(i...), b(i...)) op ...; a and b must have equal extents.
///   double dot = weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{});
template <execution_space Exec, view A, view B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const Exec& exec, const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  detail::static_check_device_callable<Exec, ReduceOp, BinaryOp>();
  detail::static_check_view<A>();
  detail::static_check_same_rank<A, B>();
  detail::static_check_accessible<Exec, A, B>();
  detail::static_check_accumulator<T, std::invoke_result_t<const BinaryOp&, detail::const_reference_t<A>,
                                                           detail::const_reference_t<B>>>();
  detail::require(detail::same_extents(a, b), "weft::transform_reduce: inputs have extents ", detail::extents_text(a),
                  " and ", detail::extents_text(b));
  return detail::fold_view<T>(exec, "weft::transform_reduce", a, init, reduce_op,
                              detail::binary_map<A, B, BinaryOp>{a, b, binary_op},
                              detail::md_binary_map<A, B, BinaryOp>{a, b, binary_op});
}

template <view A, view B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  return weft::transform_reduce(detail::default_exec_t<A>{}, a, b, init, reduce_op, binary_op);
}

/// init op v(0) op v(1) ... in unspecified order and grouping; init when v is empty.
///   int biggest = weft::reduce(exec, v, INT_MIN, weft::maximum{});
template <execution_space Exec, view View, class T, class Op>
T reduce(const Exec& exec, const View& v, T init, Op op) {
  detail::static_check_device_callable<Exec, Op>();
  detail::static_check_view<View>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_accumulator<T, detail::value_t<View>>();
  return detail::fold_view<T>(exec, "weft::reduce", v, init, op, detail::element_map<View>{v},
                              detail::md_element_map<View>{v});
}

template <view View, class T, class Op>
T reduce(const View& v, T init, Op op) {
  return weft::reduce(detail::default_exec_t<View>{}, v, init, op);
}

/// init + every element.
template <execution_space Exec, view View, class T>
T reduce(const Exec& exec, const View& v, T init) {
  return weft::reduce(exec, v, init, plus<>{});
}

template <view View, class T>
T reduce(const View& v, T init) {
  return weft::reduce(detail::default_exec_t<View>{}, v, init, plus<>{});
}

/// The sum of the elements, T{} when v is empty.
///   double total = weft::reduce(exec, v);
template <execution_space Exec, view View>
detail::value_t<View> reduce(const Exec& exec, const View& v) {
  return weft::reduce(exec, v, detail::value_t<View>{}, plus<>{});
}

template <view View>
detail::value_t<View> reduce(const View& v) {
  return weft::reduce(detail::default_exec_t<View>{}, v);
}

/// A value and where it sits: what min_loc and max_loc return. For rank-1
/// views (and distributed vectors) the index is one integer; for 2-D and
/// 3-D views (and grids) it is an array of Rank integers.
///   auto [value, index] = weft::max_loc(exec, v);
template <class T, int Rank = 1>
struct loc {
  T value;
  std::array<std::int64_t, static_cast<std::size_t>(Rank)> index;
  friend bool operator==(const loc&, const loc&) = default;
};

template <class T>
struct loc<T, 1> {
  T value;
  std::int64_t index;
  friend bool operator==(const loc&, const loc&) = default;
};

namespace detail {
template <bool Largest, class Exec, class View>
loc<value_t<View>, static_cast<int>(View::rank)> extremum(const Exec& exec, const View& v, const char* label) {
  constexpr int rank = static_cast<int>(View::rank);
  static_check_view<View>();
  static_check_accessible<Exec, View>();
  require(v.size() > 0, label, ": empty input (", extents_text(v), " elements) has no ",
          Largest ? "maximum" : "minimum");
  if constexpr (rank == 1) {
    const auto result = extremum_partial<Largest>(exec, v, label);
    return {result.value, result.index};
  } else {
    const point<rank> n = extents_of(v);
    const auto result = extremum_partial_md<Largest>(exec, v, label, point<rank>{}, n);
    loc<value_t<View>, rank> out{result.value, {}};
    std::int64_t rest = result.index;
    for (int d = rank - 1; d >= 0; --d) {
      out.index[static_cast<std::size_t>(d)] = rest % n[d];
      rest /= n[d];
    }
    return out;
  }
}
}  // namespace detail

/// The smallest element (by operator<) and its index, the first in row-major
/// order on ties; if there is a NaN, the first NaN and its index (NaN
/// propagates, as in IEEE 754-2019's minimum). The same answer on any number
/// of threads and for any layout. Throws weft::error on empty input.
///   auto [value, index] = weft::min_loc(exec, v);          // index: std::int64_t
///   auto [value, ij] = weft::min_loc(exec, field2d);       // ij: std::array<std::int64_t, 2>
template <execution_space Exec, view View>
loc<detail::value_t<View>, static_cast<int>(View::rank)> min_loc(const Exec& exec, const View& v) {
  return detail::extremum<false>(exec, v, "weft::min_loc");
}

template <view View>
loc<detail::value_t<View>, static_cast<int>(View::rank)> min_loc(const View& v) {
  return weft::min_loc(detail::default_exec_t<View>{}, v);
}

/// The largest element (by operator<) and its index, the first in row-major
/// order on ties; if there is a NaN, the first NaN and its index. Throws
/// weft::error on empty input.
template <execution_space Exec, view View>
loc<detail::value_t<View>, static_cast<int>(View::rank)> max_loc(const Exec& exec, const View& v) {
  return detail::extremum<true>(exec, v, "weft::max_loc");
}

template <view View>
loc<detail::value_t<View>, static_cast<int>(View::rank)> max_loc(const View& v) {
  return weft::max_loc(detail::default_exec_t<View>{}, v);
}

}  // namespace weft
